// Media: uploading a photo or a voice clip, and showing a stored object.
//
// An upload is declared first (POST /api/media/uploads with kind, type and
// size), then its bytes go straight to the URL the answer names: the URL is
// the permission, so no token goes with them. A message or a post then
// carries only the key. To show an object the client asks
// GET /api/media/{key}?as=json for a short-lived URL and caches it until
// shortly before it expires.

import { ApiError } from "./api.js";
import { h } from "./dom.js";

const urls = new Map(); // key -> {url, until}
const MARGIN_MS = 15_000;

export async function mediaUrl(api, key) {
  const cached = urls.get(key);
  if (cached && cached.until - MARGIN_MS > Date.now()) return cached.url;
  const answer = await api.get(`/api/media/${encodeURIComponent(key)}?as=json`);
  urls.set(key, { url: answer.url, until: Date.now() + answer.expires_in * 1000 });
  return answer.url;
}

/** Upload a blob as `kind` (image, voice, video, file); resolves with its key. */
export async function uploadMedia(api, blob, { kind }) {
  const contentType = (blob.type || "application/octet-stream").split(";")[0];
  const declared = await api.post("/api/media/uploads", {
    kind,
    content_type: contentType,
    size: blob.size,
  });
  const headers = { "Content-Type": contentType, ...declared.headers };
  const answer = await fetch(declared.upload_url, {
    method: declared.method || "PUT",
    headers,
    body: blob,
  });
  if (!answer.ok) {
    let code = `http_${answer.status}`;
    let message = `the upload was refused (${answer.status})`;
    try {
      const body = await answer.json();
      code = body.error?.code || code;
      message = body.error?.message || message;
    } catch {
      // storage answered without our error envelope
    }
    throw new ApiError(answer.status, code, message);
  }
  return declared.key;
}

export function voiceSupported() {
  return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
}

/** Start recording from the microphone; `stop()` ends it and `done` gives {blob, duration}. */
export async function recordVoice() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const type = ["audio/webm", "audio/ogg", "audio/mp4"].find((t) =>
    MediaRecorder.isTypeSupported(t),
  );
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  const chunks = [];
  const started = Date.now();
  const done = new Promise((resolve, reject) => {
    recorder.ondataavailable = (event) => chunks.push(event.data);
    recorder.onerror = (event) => reject(event.error || new Error("recording failed"));
    recorder.onstop = () => {
      for (const track of stream.getTracks()) track.stop();
      const blob = new Blob(chunks, {
        type: (recorder.mimeType || type || "audio/webm").split(";")[0],
      });
      resolve({ blob, duration: Math.round((Date.now() - started) / 100) / 10 });
    };
  });
  recorder.start();
  return { stop: () => recorder.state !== "inactive" && recorder.stop(), done };
}

/** An element showing a stored object; its source is filled in once the URL is known. */
export function mediaElement(api, { kind, body }, label = "") {
  const key = body?.key;
  if (!key) return h("p", { class: "text muted" }, "[missing attachment]");
  let el;
  if (kind === "image") {
    el = h("img", { class: "media", alt: label || "Photo", loading: "lazy", "data-key": key });
  } else if (kind === "voice") {
    const seconds = body.duration ? `, ${Math.round(body.duration)} s` : "";
    el = h("audio", { controls: true, preload: "none", "aria-label": `Voice message${seconds}` });
  } else if (kind === "video") {
    el = h("video", { class: "media", controls: true, preload: "metadata", "aria-label": "Video" });
  } else {
    return h(
      "button",
      {
        type: "button",
        class: "small ghost",
        onclick: async () => window.open(await mediaUrl(api, key), "_blank", "noopener"),
      },
      `Download ${body.name || "file"}`,
    );
  }
  let retried = false;
  const load = () =>
    mediaUrl(api, key).then(
      (url) => {
        el.src = url;
      },
      () => el.replaceWith(h("p", { class: "text muted" }, "[attachment unavailable]")),
    );
  el.addEventListener("error", () => {
    if (retried) return;
    retried = true;
    urls.delete(key);
    load();
  });
  load();
  return el;
}
