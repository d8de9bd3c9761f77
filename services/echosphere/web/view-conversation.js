// One open conversation: its messages with ticks, typing, recall, loading
// earlier pages, the composer with attachments, and a group's members.

import { RECALL_WINDOW_MS } from "./chats.js";
import { avatar, clock, day, h, replace, toast } from "./dom.js";
import { icon } from "./icons.js";
import { mediaElement, recordVoice, uploadMedia, voiceSupported } from "./media.js";
import { GroupPanel } from "./view-group.js";

const NEAR_BOTTOM_PX = 80;

export class ConversationPane {
  constructor(context) {
    this.context = context;
    this.convId = null;
    this.learned = new Set(); // conversations whose receipts were asked for
    const { state, link } = context;

    this.title = h("h2", { id: "conv-title", class: "conv-title" });
    this.subtitle = h("p", { class: "subtitle", "aria-live": "polite" });
    this.avatarSlot = h("span", { class: "avatar-slot" });
    this.infoButton = h(
      "button",
      {
        type: "button",
        class: "small ghost",
        "aria-expanded": "false",
        onclick: () => this.toggleInfo(),
      },
      "Group info",
    );
    this.group = new GroupPanel(context);
    this.earlier = h(
      "button",
      { type: "button", class: "load-earlier small ghost", onclick: () => this.loadEarlier() },
      "Load earlier messages",
    );
    this.list = h("ol", {
      class: "messages",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-labelledby": "conv-title",
    });
    this.scroller = h(
      "div",
      { class: "scroller", tabindex: "0", "aria-label": "Messages" },
      this.earlier,
      this.list,
    );
    this.input = h("textarea", {
      id: "composer-input",
      rows: "1",
      maxlength: "4000",
      placeholder: "Write a message",
      autocomplete: "off",
      onkeydown: (e) => this.keydown(e),
      oninput: () => this.typed(),
    });
    this.file = h("input", {
      type: "file",
      accept: "image/*",
      class: "visually-hidden",
      tabindex: "-1",
      "aria-hidden": "true",
      onchange: () => this.attach(),
    });
    this.photoButton = h(
      "button",
      {
        type: "button",
        class: "icon",
        "aria-label": "Send a photo",
        title: "Send a photo",
        onclick: () => this.file.click(),
      },
      icon("camera"),
    );
    this.voiceButton = h(
      "button",
      {
        type: "button",
        class: "icon",
        "aria-label": "Record a voice message",
        "aria-pressed": "false",
        title: "Record a voice message",
        onclick: () => this.voice(),
      },
      icon("mic"),
    );
    this.composer = h(
      "form",
      { class: "composer", onsubmit: (e) => this.submit(e) },
      this.photoButton,
      this.voiceButton,
      this.file,
      h("label", { for: "composer-input", class: "visually-hidden" }, "Message"),
      this.input,
      h("button", { type: "submit", class: "send" }, "Send"),
    );
    this.body = h(
      "div",
      { class: "conversation", hidden: true },
      h(
        "header",
        { class: "pane-head" },
        h("a", { class: "back", href: "#/chats", "aria-label": "Back to chats" }, icon("back", 26)),
        this.avatarSlot,
        h("div", { class: "heading" }, this.title, this.subtitle),
        this.infoButton,
      ),
      this.group.el,
      this.scroller,
      this.composer,
    );
    this.placeholder = h(
      "div",
      { class: "placeholder" },
      h("p", {}, "Choose a chat on the left, or start one from Contacts."),
    );
    this.el = h(
      "section",
      { class: "pane chat-pane", "aria-labelledby": "conv-title" },
      this.placeholder,
      this.body,
    );

    state.addEventListener("change", (e) => this.changed(e.detail));
    link.addEventListener("hello", () => this.ensureLoaded());
    link.addEventListener("synced", () => this.markRead());
    document.addEventListener("visibilitychange", () => this.markRead());
    setInterval(() => this.convId && this.render(), 15_000); // recall buttons expire
  }

  get conv() {
    return this.convId ? this.context.state.conv(this.convId) : null;
  }

  open(convId) {
    const changed = convId !== this.convId;
    this.convId = convId;
    this.placeholder.hidden = Boolean(convId);
    this.body.hidden = !convId;
    if (!convId) return;
    if (changed) {
      this.list.replaceChildren();
      this.input.value = "";
      this.group.close();
      this.infoButton.setAttribute("aria-expanded", "false");
    }
    const conv = this.conv;
    this.infoButton.hidden = !conv.isGroup;
    if (conv.isGroup) this.context.state.loadGroup(conv.gid).catch(() => {});
    this.renderHead();
    this.render(true);
    this.ensureLoaded();
    this.markRead();
    if (changed) this.input.focus();
  }

  async ensureLoaded() {
    const conv = this.conv;
    const { state: linkState } = this.context.link;
    if (!conv || conv.loaded || (linkState !== "online" && linkState !== "syncing")) return;
    if (!(await this.loadEarlier())) return;
    if (!this.learned.has(conv.id)) {
      this.learned.add(conv.id);
      this.context.state.learnReceipts(conv.id).catch(() => {});
    }
  }

  /** Ask for the page before the oldest message shown; false if the link dropped. */
  async loadEarlier() {
    const conv = this.conv;
    if (!conv) return false;
    const before = this.scroller.scrollHeight;
    const fresh = !conv.loaded;
    try {
      await this.context.state.loadEarlier(conv.id);
    } catch {
      conv.loaded = false; // the link dropped; the next hello asks again
      return false;
    }
    if (conv.id !== this.convId) return true;
    if (fresh) this.scroller.scrollTop = this.scroller.scrollHeight;
    else this.scroller.scrollTop += this.scroller.scrollHeight - before;
    return true;
  }

  changed({ what, conv }) {
    if (!this.convId) return;
    if (what === "users" || what === "groups" || what === "friends") this.renderHead();
    if (conv && conv !== this.convId) return;
    if (what === "typing") return this.renderHead();
    if (["message", "receipt", "history", "users", "groups", "friends"].includes(what)) {
      this.render(what === "message");
    }
    if (what === "message") {
      this.renderHead();
      this.markRead();
    }
    return undefined;
  }

  markRead() {
    if (this.convId && document.visibilityState === "visible") {
      this.context.state.markRead(this.convId);
    }
  }

  renderHead() {
    const { state } = this.context;
    const conv = this.conv;
    if (!conv) return;
    const title = state.title(conv.id);
    this.title.textContent = title;
    replace(this.avatarSlot, avatar(title, conv.id, conv.isGroup ? "group" : ""));
    const typing = [...conv.typing.keys()].map((u) => state.name(u));
    if (typing.length) {
      this.subtitle.textContent = `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…`;
      this.subtitle.classList.add("typing");
      return;
    }
    this.subtitle.classList.remove("typing");
    if (conv.isGroup) {
      const group = state.groups.get(conv.gid);
      this.subtitle.textContent = group?.members ? `${group.members.length} members` : "Group";
      this.group.render(conv.gid);
    } else {
      const peer = state.users.get(conv.peer);
      this.subtitle.textContent = peer?.handle ? `@${peer.handle}` : "";
    }
  }

  toggleInfo() {
    const open = this.group.toggle(this.conv.gid);
    this.infoButton.setAttribute("aria-expanded", String(open));
  }

  // -- messages ---------------------------------------------------------------------------

  render(stickToBottom = false) {
    const conv = this.conv;
    if (!conv) return;
    const atBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight <
      NEAR_BOTTOM_PX;
    this.earlier.hidden = conv.reachedStart || !conv.loaded;
    const items = [];
    let lastDay = null;
    for (const message of conv.ordered()) {
      const today = day(message.ts);
      if (today !== lastDay) {
        items.push({
          key: `day:${today}`,
          sig: today,
          build: () => h("li", { class: "day" }, today),
        });
        lastDay = today;
      }
      const key = message.seq ? `seq:${message.seq}` : `cid:${message.cid}`;
      items.push({ key, sig: this.signature(message), build: () => this.message(message) });
    }
    this.reconcile(items);
    if ((stickToBottom && atBottom) || (stickToBottom && this.justSent)) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.justSent = false;
    }
  }

  /** Keep the elements that did not change, so focus and the live region stay calm. */
  reconcile(items) {
    const existing = new Map([...this.list.children].map((el) => [el.dataset.key, el]));
    let cursor = this.list.firstChild;
    for (const item of items) {
      let el = existing.get(item.key);
      existing.delete(item.key);
      if (el && el.dataset.sig !== item.sig) {
        const fresh = item.build();
        el.replaceWith(fresh);
        if (cursor === el) cursor = fresh;
        el = fresh;
      } else if (!el) {
        el = item.build();
      }
      el.dataset.key = item.key;
      el.dataset.sig = item.sig;
      if (el === cursor) cursor = cursor.nextSibling;
      else this.list.insertBefore(el, cursor);
    }
    for (const el of existing.values()) el.remove();
  }

  ticks(message) {
    const { state } = this.context;
    const conv = this.conv;
    if (message.from !== state.me.id) return null;
    if (message.state === "pending") return { state: "pending", label: "Sending", mark: "◷" };
    if (message.state === "failed") return { state: "failed", label: "Not sent", mark: "!" };
    if (conv.isGroup) {
      const readers = [...conv.readBy.values()].filter((seq) => seq >= message.seq).length;
      return readers
        ? { state: "read", label: `Read by ${readers}`, mark: `✓✓ ${readers}` }
        : { state: "sent", label: "Sent", mark: "✓" };
    }
    if (message.seq <= conv.peerRead) return { state: "read", label: "Read", mark: "✓✓" };
    if (message.seq <= conv.peerDelivered)
      return { state: "delivered", label: "Delivered", mark: "✓✓" };
    return { state: "sent", label: "Sent", mark: "✓" };
  }

  recallable(message) {
    return (
      message.from === this.context.state.me.id &&
      message.seq &&
      !message.recalled &&
      Date.now() - message.ts < RECALL_WINDOW_MS
    );
  }

  signature(message) {
    const tick = this.ticks(message);
    return JSON.stringify([
      message.state,
      message.recalled,
      tick?.label,
      this.recallable(message),
      this.context.state.name(message.from),
      message.error,
      message.body?.key,
    ]);
  }

  message(message) {
    const { state } = this.context;
    const mine = message.from === state.me.id;
    const tick = this.ticks(message);
    const who = mine ? "You" : state.name(message.from);
    const content = message.recalled
      ? h(
          "p",
          { class: "recalled" },
          mine ? "You recalled this message" : "This message was recalled",
        )
      : this.content(message);
    const recall = this.recallable(message)
      ? h(
          "button",
          { type: "button", class: "link recall", onclick: () => this.recall(message) },
          "Recall",
        )
      : null;
    const meta = h(
      "span",
      { class: "meta" },
      recall,
      h("time", { datetime: new Date(message.ts).toISOString() }, clock(message.ts)),
      tick
        ? h(
            "span",
            { class: `ticks ${tick.state}`, "data-tick": tick.state, title: tick.label },
            h("span", { "aria-hidden": "true" }, tick.mark),
            h("span", { class: "visually-hidden" }, tick.label),
          )
        : null,
    );
    const failure =
      message.state === "failed"
        ? h(
            "span",
            { class: "send-error", role: "alert" },
            `${message.error || "Not sent"} `,
            h(
              "button",
              {
                type: "button",
                class: "link",
                onclick: () => state.discard(message.conv, message.cid),
              },
              "Discard",
            ),
          )
        : null;
    return h(
      "li",
      {
        class: `msg ${mine ? "mine" : "theirs"}`,
        "data-seq": message.seq || null,
        "data-kind": message.kind,
        "data-state": tick?.state || null,
      },
      !mine && this.conv.isGroup ? avatar(who, message.from, "small") : null,
      h(
        "div",
        { class: "bubble" },
        h("span", { class: mine || !this.conv.isGroup ? "visually-hidden" : "author" }, `${who}: `),
        content,
        failure,
        meta,
      ),
    );
  }

  content(message) {
    const body = message.body || {};
    switch (message.kind) {
      case "text":
        return h(
          "p",
          { class: "text" },
          body.bottle ? h("span", { class: "from-bottle" }, "Reply to a drifting bottle: ") : null,
          body.text,
        );
      case "image":
      case "voice":
      case "video":
      case "file":
        return mediaElement(
          this.context.api,
          message,
          `Photo from ${this.context.state.name(message.from)}`,
        );
      case "location":
        return h(
          "p",
          { class: "text" },
          icon("pin", 16),
          ` ${Number(body.lat).toFixed(4)}, ${Number(body.lon).toFixed(4)}`,
        );
      default:
        return h("p", { class: "text muted" }, "A message this app cannot show");
    }
  }

  recall(message) {
    this.context.state.recall(message.conv, message.seq);
  }

  // -- composing ----------------------------------------------------------------------------

  keydown(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.composer.requestSubmit();
    }
  }

  typed() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
    if (this.input.value.trim()) this.context.state.typing(this.convId);
  }

  submit(event) {
    event.preventDefault();
    const text = this.input.value;
    if (!text.trim() || !this.convId) return;
    this.justSent = true;
    this.context.state.send(this.convId, "text", { text });
    this.input.value = "";
    this.typed();
    this.input.focus();
  }

  async attach() {
    const file = this.file.files[0];
    this.file.value = "";
    if (!file) return;
    await this.sendMedia("image", file, {});
  }

  async sendMedia(kind, blob, extra) {
    const convId = this.convId;
    this.photoButton.disabled = true;
    try {
      const key = await uploadMedia(this.context.api, blob, { kind, name: blob.name });
      this.justSent = true;
      this.context.state.send(convId, kind, { key, ...extra });
    } catch (error) {
      toast(`Upload failed: ${error.message}`, "error");
    } finally {
      this.photoButton.disabled = false;
    }
  }

  async voice() {
    if (!voiceSupported()) {
      toast("This browser cannot record audio here.", "error");
      return;
    }
    if (this.recording) {
      this.recording.stop();
      return;
    }
    try {
      this.voiceButton.setAttribute("aria-pressed", "true");
      replace(this.voiceButton, icon("stop"));
      this.recording = await recordVoice();
      const { blob, duration } = await this.recording.done;
      await this.sendMedia("voice", blob, { duration });
    } catch (error) {
      toast(`Recording failed: ${error.message}`, "error");
    } finally {
      this.recording = null;
      this.voiceButton.setAttribute("aria-pressed", "false");
      replace(this.voiceButton, icon("mic"));
    }
  }
}
