// The chats section: the conversation list beside the open conversation
// (one above the other on a phone, where only one shows at a time).

import { avatar, h, replace, when } from "./dom.js";
import { ConversationPane } from "./view-conversation.js";

export function preview(message, state) {
  if (!message) return "No messages yet";
  if (message.recalled) return "Message recalled";
  const labels = {
    image: "Photo",
    voice: "Voice message",
    video: "Video",
    file: "File",
    location: "Location",
  };
  const text =
    message.kind === "text" ? message.body.text : `[${labels[message.kind] || "Message"}]`;
  const conv = state.conv(message.conv);
  if (message.from === state.me.id) return `You: ${text}`;
  if (conv.isGroup) return `${state.name(message.from)}: ${text}`;
  return text;
}

export class ChatsView {
  constructor(context) {
    this.context = context;
    const { state } = context;
    this.items = new Map(); // conv -> {li, link}
    this.list = h("ul", { class: "conv-list", "aria-labelledby": "chats-heading" });
    this.empty = h(
      "p",
      { class: "empty" },
      "No chats yet. Find friends in ",
      h("a", { href: "#/contacts" }, "Contacts"),
      " and say hello.",
    );
    this.pane = new ConversationPane(context);
    this.listPane = h(
      "section",
      { class: "pane list-pane", "aria-labelledby": "chats-heading" },
      h(
        "header",
        { class: "pane-head" },
        h("h1", { id: "chats-heading" }, "Chats"),
        h("a", { class: "button small", href: "#/contacts" }, "New chat"),
      ),
      this.empty,
      this.list,
    );
    this.el = h("div", { class: "chats" }, this.listPane, this.pane.el);
    this.list.addEventListener("keydown", (e) => this.arrows(e));
    state.addEventListener("change", () => this.renderList());
  }

  show({ param }) {
    const conv = param || null;
    document.body.classList.toggle("in-conv", Boolean(conv));
    this.pane.open(conv);
    this.renderList();
  }

  hide() {
    document.body.classList.remove("in-conv");
    this.pane.open(null);
  }

  /** Up and down move between conversations, as in a menu. */
  arrows(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = [...this.list.querySelectorAll("a.conv-item")];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    event.preventDefault();
    const next =
      links[Math.min(links.length - 1, Math.max(0, at + (event.key === "ArrowDown" ? 1 : -1)))];
    next.focus();
  }

  renderList() {
    const { state } = this.context;
    const convs = state.sorted();
    this.empty.hidden = convs.length > 0;
    const seen = new Set();
    convs.forEach((conv, index) => {
      seen.add(conv.id);
      let item = this.items.get(conv.id);
      if (!item) {
        const link = h("a", { class: "conv-item", href: `#/chats/${encodeURIComponent(conv.id)}` });
        item = { li: h("li", {}, link), link };
        this.items.set(conv.id, item);
      }
      this.fill(item.link, conv);
      if (this.list.children[index] !== item.li)
        this.list.insertBefore(item.li, this.list.children[index] || null);
    });
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.li.remove();
        this.items.delete(id);
      }
    }
  }

  fill(link, conv) {
    const { state } = this.context;
    const title = state.title(conv.id);
    const unread = state.unread(conv);
    const typing = [...conv.typing.keys()];
    const last = conv.last;
    const open = this.pane.convId === conv.id;
    if (open) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
    link.setAttribute(
      "aria-label",
      `${title}${conv.isGroup ? " (group)" : ""}${unread ? `, ${unread} unread` : ""}`,
    );
    replace(
      link,
      avatar(title, conv.id, conv.isGroup ? "group" : ""),
      h(
        "span",
        { class: "conv-main" },
        h("span", { class: "conv-title" }, title),
        h(
          "span",
          { class: `conv-preview${typing.length ? " typing" : ""}` },
          typing.length ? "typing…" : preview(last, state),
        ),
      ),
      h(
        "span",
        { class: "conv-side" },
        last ? h("time", { datetime: new Date(last.ts).toISOString() }, when(last.ts)) : null,
        unread
          ? h(
              "span",
              { class: "badge", "data-unread": String(unread) },
              unread > 99 ? "99+" : String(unread),
            )
          : null,
      ),
    );
  }
}
