// The drifting bottle: throw a message (text or voice) into the sea from
// where I am, fish one thrown nearby, and reply (which opens a chat with its
// thrower) or throw it back.

import { h, replace, toast, when } from "./dom.js";
import { mediaElement, recordVoice, uploadMedia, voiceSupported } from "./media.js";

const RADII = [1, 10, 50, 200, 1000];

export class BottlesView {
  constructor(context) {
    this.context = context;
    this.voice = null; // {blob, duration} recorded for the next throw
    this.lat = h("input", {
      id: "bottle-lat",
      inputmode: "decimal",
      required: true,
      placeholder: "48.8566",
    });
    this.lon = h("input", {
      id: "bottle-lon",
      inputmode: "decimal",
      required: true,
      placeholder: "2.3522",
    });
    this.text = h("textarea", {
      id: "bottle-text",
      rows: "3",
      maxlength: "1000",
      placeholder: "Whoever finds this…",
    });
    this.voiceNote = h("span", { class: "muted small", "aria-live": "polite" });
    this.recordButton = h(
      "button",
      {
        type: "button",
        class: "small ghost",
        "aria-pressed": "false",
        onclick: () => this.record(),
      },
      "Record voice",
    );
    this.radius = h(
      "select",
      { id: "bottle-radius" },
      RADII.map((km) => h("option", { value: String(km), selected: km === 50 }, `${km} km`)),
    );
    this.status = h("p", { class: "muted", role: "status" });
    this.catch = h("div", { class: "catch", "aria-live": "polite" });
    this.el = h(
      "div",
      { class: "page bottles" },
      h("header", { class: "pane-head" }, h("h1", {}, "Drifting bottles")),
      h(
        "section",
        { class: "card", "aria-labelledby": "where-heading" },
        h("h2", { id: "where-heading" }, "Where you are"),
        h(
          "p",
          { class: "muted small" },
          "Bottles keep only a rough place (about 1 km), never your name.",
        ),
        h(
          "div",
          { class: "inline" },
          h(
            "div",
            { class: "stack grow" },
            h("label", { for: "bottle-lat" }, "Latitude"),
            this.lat,
          ),
          h(
            "div",
            { class: "stack grow" },
            h("label", { for: "bottle-lon" }, "Longitude"),
            this.lon,
          ),
        ),
        navigator.geolocation
          ? h(
              "button",
              { type: "button", class: "small ghost", onclick: () => this.locate() },
              "Use my location",
            )
          : null,
      ),
      h(
        "form",
        { class: "card stack", "aria-labelledby": "throw-heading", onsubmit: (e) => this.throw(e) },
        h("h2", { id: "throw-heading" }, "Throw a bottle"),
        h("label", { for: "bottle-text" }, "Message in the bottle"),
        this.text,
        h(
          "div",
          { class: "post-actions" },
          voiceSupported() ? this.recordButton : null,
          this.voiceNote,
        ),
        h("button", { type: "submit" }, "Throw"),
      ),
      h(
        "form",
        { class: "card stack", "aria-labelledby": "fish-heading", onsubmit: (e) => this.fish(e) },
        h("h2", { id: "fish-heading" }, "Fish a bottle"),
        h("label", { for: "bottle-radius" }, "How far to cast"),
        this.radius,
        h("button", { type: "submit" }, "Fish"),
        this.catch,
      ),
      h("div", { class: "card-status" }, this.status),
    );
  }

  show() {}

  place() {
    const lat = Number(this.lat.value);
    const lon = Number(this.lon.value);
    if (!this.lat.value || !this.lon.value || Number.isNaN(lat) || Number.isNaN(lon)) {
      toast("Say where you are first (latitude and longitude).", "error");
      this.lat.focus();
      return null;
    }
    return { lat, lon };
  }

  locate() {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        this.lat.value = position.coords.latitude.toFixed(4);
        this.lon.value = position.coords.longitude.toFixed(4);
      },
      (error) => toast(`Location unavailable: ${error.message}`, "error"),
      { timeout: 10_000 },
    );
  }

  async record() {
    if (this.recording) {
      this.recording.stop();
      return;
    }
    try {
      this.recordButton.setAttribute("aria-pressed", "true");
      this.recordButton.textContent = "Stop recording";
      this.recording = await recordVoice();
      this.voice = await this.recording.done;
      this.voiceNote.textContent = `Voice message of ${Math.round(this.voice.duration)} s ready`;
    } catch (error) {
      toast(`Recording failed: ${error.message}`, "error");
    } finally {
      this.recording = null;
      this.recordButton.setAttribute("aria-pressed", "false");
      this.recordButton.textContent = "Record voice";
    }
  }

  async throw(event) {
    event.preventDefault();
    const where = this.place();
    if (!where) return;
    const { api } = this.context;
    const text = this.text.value.trim();
    if (!text && !this.voice) {
      toast("Write something or record a voice message.", "error");
      return;
    }
    try {
      const body = { ...where };
      if (text) body.text = text;
      if (this.voice) body.media = await uploadMedia(api, this.voice.blob, { kind: "voice" });
      const bottle = await api.post("/api/bottles", body);
      this.text.value = "";
      this.voice = null;
      this.voiceNote.textContent = "";
      this.status.textContent = `Your bottle is drifting. Throws left today: ${bottle.throws_left}.`;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async fish(event) {
    event.preventDefault();
    const where = this.place();
    if (!where) return;
    try {
      const bottle = await this.context.api.post("/api/bottles/fish", {
        ...where,
        radius_km: Number(this.radius.value),
      });
      this.showCatch(bottle);
    } catch (error) {
      const message =
        error.code === "no_bottle"
          ? "Nothing drifted by. Try a wider cast, or later."
          : error.message;
      replace(this.catch, h("p", { class: "muted" }, message));
    }
  }

  showCatch(bottle) {
    const reply = h("textarea", {
      id: "bottle-reply",
      rows: "2",
      maxlength: "4000",
      required: true,
    });
    replace(
      this.catch,
      h(
        "article",
        { class: "bottle-card stack", "aria-label": "The bottle you fished" },
        h(
          "p",
          { class: "muted small" },
          `Thrown ${when(bottle.thrown_at * 1000)}, about ${bottle.distance_km} km away.`,
        ),
        bottle.text ? h("p", { class: "bottle-text" }, bottle.text) : null,
        bottle.media
          ? mediaElement(this.context.api, {
              kind: bottle.media.kind,
              body: { key: bottle.media.key },
            })
          : null,
        h(
          "form",
          { class: "stack", onsubmit: (e) => this.reply(e, bottle, reply.value) },
          h("label", { for: "bottle-reply" }, "Your reply (starts a chat with the thrower)"),
          reply,
          h(
            "div",
            { class: "post-actions" },
            h("button", { type: "submit" }, "Reply"),
            h(
              "button",
              { type: "button", class: "ghost", onclick: () => this.throwBack(bottle) },
              "Throw it back",
            ),
          ),
        ),
        h("p", { class: "muted small" }, `Fishing left today: ${bottle.fishes_left}.`),
      ),
    );
  }

  async reply(event, bottle, text) {
    event.preventDefault();
    try {
      const ack = await this.context.api.post(`/api/bottles/${bottle.id}/reply`, { text });
      replace(this.catch);
      location.hash = `#/chats/${encodeURIComponent(ack.conv)}`;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async throwBack(bottle) {
    try {
      await this.context.api.post(`/api/bottles/${bottle.id}/throw-back`);
      replace(this.catch, h("p", { class: "muted" }, "Back into the sea it goes."));
    } catch (error) {
      toast(error.message, "error");
    }
  }
}
