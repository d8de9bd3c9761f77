// The HTTP API client: JSON calls with the access token, kept fresh.
//
// The access token lives only in this object. It is refreshed shortly
// before it expires, and once more when a call answers 401 token_expired.
// The refresh token rotates on every use and sits in localStorage; tabs of
// the same account take turns (a Web Lock), each reading the newest token,
// because presenting a spent one revokes the device.

import { forget, refreshTokenOf, saveRefreshToken, withRefreshLock } from "./accounts.js";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Thrown when the session is over and the person must log in again. */
export class SignedOut extends ApiError {}

const EARLY_REFRESH_MS = 60_000;
const SESSION_OVER = new Set([
  "refresh_invalid",
  "refresh_expired",
  "refresh_reused",
  "session_revoked",
]);

async function errorOf(answer) {
  let code = `http_${answer.status}`;
  let message = answer.statusText || code;
  try {
    const body = await answer.json();
    code = body.error?.code || code;
    message = body.error?.message || message;
  } catch {
    // not a JSON error envelope: keep the status
  }
  const retryAfter = Number(answer.headers.get("retry-after") || 0);
  const Kind = SESSION_OVER.has(code) ? SignedOut : ApiError;
  return new Kind(answer.status, code, message, retryAfter);
}

export class Api {
  constructor(base = "") {
    this.base = base;
    this.user = null;
    this.device = null;
    this.access = null;
    this.expiresAt = 0;
    this.refreshing = null;
    this.onSignedOut = () => {};
  }

  async fetchJson(method, path, { body, token, headers = {} } = {}) {
    const init = { method, headers: { ...headers }, cache: "no-store" };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const answer = await fetch(this.base + path, init);
    const type = answer.headers.get("content-type") || "";
    // A redirect that fetch did not follow (no Location) carries its answer in the body:
    // GET /api/media/{key}?as=json does this.
    const unfollowed = answer.status >= 300 && answer.status < 400 && type.includes("json");
    if (!answer.ok && !unfollowed) throw await errorOf(answer);
    if (answer.status === 204) return null;
    return type.includes("json") ? answer.json() : answer.blob();
  }

  /** Ask for a login code; a dev server answers with it (`dev_code`). */
  requestCode(phone) {
    return this.fetchJson("POST", "/api/auth/code", { body: { phone } });
  }

  async login(phone, code, device) {
    const session = await this.fetchJson("POST", "/api/auth/login", {
      body: { phone, code, device },
    });
    this.user = session.user.id;
    this.adopt(session);
    return session.user;
  }

  /** Start from a stored refresh token (a reload, a new tab). */
  async resume(user) {
    this.user = user;
    await this.refresh();
  }

  adopt(session) {
    this.access = session.access_token;
    this.device = session.device;
    this.expiresAt = Date.now() + session.expires_in * 1000;
    saveRefreshToken(this.user, session.refresh_token);
  }

  refresh() {
    this.refreshing ??= withRefreshLock(this.user, () => this.rotate()).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async rotate() {
    const token = refreshTokenOf(this.user);
    if (!token) throw this.signedOut(new SignedOut(401, "refresh_invalid", "logged out"));
    try {
      this.adopt(
        await this.fetchJson("POST", "/api/auth/refresh", { body: { refresh_token: token } }),
      );
    } catch (error) {
      if (error instanceof SignedOut) throw this.signedOut(error);
      throw error;
    }
  }

  signedOut(error) {
    if (error.handled) return error;
    error.handled = true;
    const user = this.user;
    this.access = null;
    if (user) forget(user);
    this.onSignedOut(error);
    return error;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async token() {
    if (!this.access || Date.now() > this.expiresAt - EARLY_REFRESH_MS) await this.refresh();
    return this.access;
  }

  async call(method, path, body) {
    try {
      return await this.fetchJson(method, path, { body, token: await this.token() });
    } catch (error) {
      if (error instanceof SignedOut) throw this.signedOut(error);
      if (error.status !== 401 || error.code !== "token_expired") throw error;
    }
    await this.refresh();
    return this.fetchJson(method, path, { body, token: this.access });
  }

  get(path) {
    return this.call("GET", path);
  }
  post(path, body) {
    return this.call("POST", path, body);
  }
  patch(path, body) {
    return this.call("PATCH", path, body);
  }
  put(path, body) {
    return this.call("PUT", path, body);
  }
  del(path) {
    return this.call("DELETE", path);
  }

  /** Send raw bytes (a media upload) with the access token. */
  async upload(method, url, blob, headers = {}) {
    const sameOrigin = new URL(url, location.href).origin === location.origin;
    const init = { method, body: blob, headers: { ...headers } };
    if (sameOrigin && !url.includes("sig="))
      init.headers.Authorization = `Bearer ${await this.token()}`;
    const answer = await fetch(url, init);
    if (!answer.ok) throw await errorOf(answer);
    const type = answer.headers.get("content-type") || "";
    return type.includes("json") ? answer.json() : null;
  }

  async logout() {
    try {
      await this.fetchJson("POST", "/api/auth/logout", { token: this.access });
    } finally {
      this.signedOut(new SignedOut(401, "logged_out", "logged out"));
    }
  }
}
