// The websocket link to a chat node, speaking protocol v1 (docs/protocol.md).
//
// It authenticates with an auth frame, resends the sends still waiting for
// an ack (same cids, so nothing is stored twice), syncs from its cursors and
// hands messages to the application exactly once, in seq order, through the
// Sequencer. A cursor moves only after its message was handed over, and is
// written to localStorage, so a reload or a dropped network loses nothing.
// A dead link is noticed by a missing pong and replaced with backoff. Live
// frames may be lost without a trace, so while the tab is looked at the link
// also syncs every two minutes, and when the person comes back to the tab.
//
// Events (all CustomEvent, payload in `detail`): state, hello, message,
// ack, send-error, error, receipt, typing, recalled, synced, history.

import { loadCursors, loadOutbox, saveCursors, saveOutbox } from "./accounts.js";
import { SignedOut } from "./api.js";
import { newId } from "./dom.js";
import { Sequencer } from "./ordering.js";

const GAP_WAIT_MS = 200; // a late live frame may still fill a gap
const HELLO_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
const RECV_DELAY_MS = 250;
const RESYNC_ON_RETURN_MS = 30_000;
const HISTORY_TIMEOUT_MS = 15_000;
const HISTORY_REFUSALS = new Set(["forbidden", "bad_conv", "bad_frame"]);
const RESYNC_EVERY_MS = 120_000; // while the tab is seen: a lost live frame shows up at worst then
const CLOSE_AUTH = 4401;
const CLOSE_REPLACED = 4409;

export function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws?v=1`;
}

export class ChatLink extends EventTarget {
  constructor(api, { url = wsUrl() } = {}) {
    super();
    this.api = api;
    this.user = api.user;
    this.url = url;
    this.cursors = loadCursors(this.user);
    this.outbox = loadOutbox(this.user); // send frames waiting for their ack, in order
    this.order = new Sequencer(this.cursors);
    this.state = "idle";
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.timers = new Map();
    this.syncing = false;
    this.historyWaiting = []; // {conv, resolve, reject}, answered first in, first out
    this.heartbeatMs = 25_000;
    this.lastSent = 0;
    this.pongDue = 0;
    this.recvDue = new Map();
    this.refreshedFor4401 = false;
    this.onOnline = () => this.state === "waiting" && this.connectNow();
    this.onOffline = () => this.drop("the browser is offline");
    // A live frame may be lost without a trace; coming back to the tab is a cheap moment
    // to ask the node whether anything is missing.
    this.onVisible = () => {
      const stale = Date.now() - this.lastSyncAt > RESYNC_ON_RETURN_MS;
      if (document.visibilityState === "visible" && this.state === "online" && stale) this.sync();
    };
    this.lastSyncAt = 0;
  }

  // -- public ------------------------------------------------------------------

  /** Cursors to start from: conversations this device never saw begin at their end. */
  seed(conversations) {
    let changed = false;
    for (const { conv, last_seq: last } of conversations) {
      if (!(conv in this.cursors)) {
        this.cursors[conv] = last;
        changed = true;
      }
    }
    if (changed) {
      saveCursors(this.user, this.cursors);
      this.order.reset(this.cursors);
    }
  }

  start() {
    this.stopped = false;
    addEventListener("online", this.onOnline);
    addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    removeEventListener("online", this.onOnline);
    removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisible);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "client closed");
    this.setState("stopped");
  }

  /** Queue a message; it is written now if the link is up, else after the next hello. */
  send(conv, kind, body) {
    const frame = { op: "send", cid: newId(), conv, kind, body };
    this.outbox.push(frame);
    saveOutbox(this.user, this.outbox);
    if (this.state === "online" || this.state === "syncing") this.write(frame);
    return frame;
  }

  /** Drop a waiting send (the person discarded it). */
  discard(cid) {
    this.outbox = this.outbox.filter((f) => f.cid !== cid);
    saveOutbox(this.user, this.outbox);
  }

  /** A fire-and-forget frame (read, recv, typing, recall); false when the link is down. */
  tell(frame) {
    if (this.state !== "online" && this.state !== "syncing") return false;
    return this.write(frame);
  }

  /** A page of history before `before` (or the newest); resolves with its messages. */
  history(conv, before = null, limit = 50) {
    const frame = { op: "history", conv, limit };
    if (before !== null) frame.before = before;
    return new Promise((resolve, reject) => {
      if (!this.tell(frame)) {
        reject(new Error("not connected"));
        return;
      }
      const waiting = { conv, resolve, reject };
      this.historyWaiting.push(waiting);
      setTimeout(() => {
        const at = this.historyWaiting.indexOf(waiting);
        if (at >= 0) this.historyWaiting.splice(at, 1);
        reject(new Error("no answer to a history request"));
      }, HISTORY_TIMEOUT_MS);
    });
  }

  // -- connecting ----------------------------------------------------------------

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...extra } }));
  }

  later(name, ms, fn) {
    clearTimeout(this.timers.get(name));
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, ms),
    );
  }

  cancel(name) {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  connectNow() {
    this.cancel("retry");
    this.connect();
  }

  async connect() {
    if (this.stopped || this.ws) return;
    this.setState("connecting", { attempt: this.attempt });
    let token;
    try {
      token = await this.api.token();
    } catch (error) {
      if (error instanceof SignedOut) return this.stop();
      return this.retry(`could not refresh the session: ${error.message}`);
    }
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(this.url, ["echosphere.v1"]);
    this.ws = ws;
    let greeted = false;
    ws.onopen = () => this.write({ op: "auth", token });
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.op === "hello") greeted = true;
      this.receive(frame);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.closed(event.code, event.reason, greeted);
    };
    this.later("hello", HELLO_TIMEOUT_MS, () => greeted || this.drop("no hello in time"));
  }

  /** Give up on the current socket at once (dead link, offline) and come back later. */
  drop(why) {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.onclose = null;
    try {
      ws.close(1000, "dropped");
    } catch {
      // already closing
    }
    this.closed(1006, why, false);
  }

  closed(code, reason, greeted) {
    this.cancel("hello");
    this.cancel("heartbeat");
    this.cancel("gap");
    this.syncing = false;
    for (const waiting of this.historyWaiting.splice(0)) waiting.reject(new Error("link closed"));
    if (this.stopped) return;
    if (code === CLOSE_REPLACED) {
      this.setState("replaced");
      return;
    }
    if (code === CLOSE_AUTH) {
      if (reason === "token_expired" && !this.refreshedFor4401) {
        this.refreshedFor4401 = true;
        this.api.refresh().then(
          () => this.connect(),
          () => this.setState("signed-out"),
        );
        return;
      }
      this.setState("signed-out", { reason });
      this.api.signedOut({ code: reason, message: "the session ended; log in again" });
      return;
    }
    if (greeted) this.attempt = 0;
    this.retry(reason || `closed (${code})`);
  }

  retry(why, delay = null) {
    this.attempt += 1;
    const ceiling = Math.min(MAX_BACKOFF_MS, 200 * 2 ** (this.attempt - 1));
    const wait = delay ?? Math.random() * ceiling;
    this.setState("waiting", { retryAt: Date.now() + wait, why, attempt: this.attempt });
    this.later("retry", wait, () => this.connect());
  }

  write(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.lastSent = Date.now();
    return true;
  }

  // -- keeping the link warm ---------------------------------------------------------

  heartbeat() {
    const now = Date.now();
    if (this.pongDue && now > this.pongDue) {
      this.drop("no pong: the link is dead");
      return;
    }
    if (!this.pongDue && now - this.lastSent >= this.heartbeatMs) {
      this.write({ op: "ping" });
      this.pongDue = now + this.heartbeatMs;
    }
    const seen = document.visibilityState === "visible";
    if (seen && this.state === "online" && now - this.lastSyncAt > RESYNC_EVERY_MS) this.sync();
    this.later("heartbeat", 1000, () => this.heartbeat());
  }

  // -- frames from the node --------------------------------------------------------

  receive(frame) {
    switch (frame.op) {
      case "hello":
        return this.hello(frame);
      case "msg":
        return this.take(this.order.offer(frame));
      case "ack":
        return this.acked(frame);
      case "synced":
        return this.synced(frame);
      case "history": {
        const index = this.historyWaiting.findIndex((w) => w.conv === frame.conv);
        const [waiting] = this.historyWaiting.splice(index < 0 ? 0 : index, 1);
        waiting?.resolve(frame.messages);
        return this.emit("history", frame);
      }
      case "pong":
        this.pongDue = 0;
        return;
      case "error":
        return this.failed(frame);
      case "drain": {
        const wait = (frame.retry_after_ms || 1000) * (0.5 + Math.random());
        this.later("drain", wait, () => this.drop("the node is draining"));
        return;
      }
      case "receipt":
      case "typing":
      case "recalled":
        return this.emit(frame.op, frame);
      default:
        return;
    }
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  hello(frame) {
    this.cancel("hello");
    this.refreshedFor4401 = false;
    this.heartbeatMs = (frame.heartbeat || 25) * 1000;
    this.pongDue = 0;
    this.order.reset(this.cursors);
    this.setState("syncing");
    this.emit("hello", frame);
    for (const send of this.outbox) this.write(send);
    this.sync();
    this.heartbeat();
  }

  sync() {
    if (this.syncing) return;
    this.cancel("gap");
    this.syncing = true;
    this.lastSyncAt = Date.now();
    this.write({ op: "sync", cursors: this.order.positions() });
  }

  /** Hand released messages to the application, then move and store the cursors. */
  take(steps) {
    for (const step of steps) {
      if (step.message) {
        this.emit("message", step.message);
        if (step.message.from !== this.user && step.conv.startsWith("d:")) {
          this.recvDue.set(step.conv, step.seq);
        }
      }
      this.cursors[step.conv] = step.seq;
    }
    if (steps.length) saveCursors(this.user, this.cursors);
    if (this.recvDue.size) this.later("recv", RECV_DELAY_MS, () => this.confirmReceived());
    if (!this.syncing && this.order.gapped()) this.later("gap", GAP_WAIT_MS, () => this.sync());
  }

  confirmReceived() {
    for (const [conv, seq] of this.recvDue) this.tell({ op: "recv", conv, seq });
    this.recvDue.clear();
  }

  acked(frame) {
    this.outbox = this.outbox.filter((f) => f.cid !== frame.cid);
    saveOutbox(this.user, this.outbox);
    this.emit("ack", frame);
    this.take(this.order.own(frame.conv, frame.seq));
  }

  synced(frame) {
    this.syncing = false;
    this.take(this.order.complete(frame.cursors));
    if (this.state === "syncing") this.setState("online");
    this.emit("synced", frame);
    if (this.order.gapped()) this.later("gap", GAP_WAIT_MS, () => this.sync());
  }

  failed(frame) {
    if (frame.cid && this.outbox.some((f) => f.cid === frame.cid)) {
      this.discard(frame.cid);
      this.emit("send-error", frame);
      return;
    }
    // A refused history request (no longer a member, say) is answered by this error.
    if (!frame.cid && HISTORY_REFUSALS.has(frame.code) && this.historyWaiting.length) {
      const [waiting] = this.historyWaiting.splice(0, 1);
      waiting.reject(Object.assign(new Error(frame.message), { code: frame.code }));
      return;
    }
    this.emit("error", frame);
  }
}
