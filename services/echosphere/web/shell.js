// The signed-in frame: the header with the connection state, the main
// navigation with its badges, and the hash router that shows one view.

import { h, replace, toast } from "./dom.js";
import { icon } from "./icons.js";
import { ChatsView } from "./view-chats.js";
import { ContactsView } from "./view-contacts.js";
import { FeedView } from "./view-feed.js";
import { BottlesView } from "./view-bottles.js";
import { ProfileView } from "./view-profile.js";

const SECTIONS = [
  { id: "chats", label: "Chats", icon: "chat" },
  { id: "contacts", label: "Contacts", icon: "contacts" },
  { id: "feed", label: "Moments", icon: "feed" },
  { id: "bottles", label: "Bottles", icon: "bottle" },
  { id: "me", label: "Me", icon: "user" },
];

const POLL_MS = 10_000;

export class Shell {
  constructor(root, context) {
    this.root = root;
    this.context = context;
    const { link, state } = context;
    this.views = {
      chats: new ChatsView(context),
      contacts: new ContactsView(context),
      feed: new FeedView(context),
      bottles: new BottlesView(context),
      me: new ProfileView(context),
    };
    this.current = null;
    this.status = h("span", { class: "conn-text" }, "Connecting…");
    this.statusAction = h("span", { class: "conn-action" });
    this.conn = h(
      "div",
      { class: "conn", role: "status", "aria-live": "polite", "data-state": "connecting" },
      h("span", { class: "conn-dot", "aria-hidden": "true" }),
      this.status,
      this.statusAction,
    );
    this.badges = {};
    this.links = {};
    const nav = h(
      "nav",
      { class: "tabs", "aria-label": "Sections" },
      h(
        "ul",
        {},
        SECTIONS.map((s) => {
          this.badges[s.id] = h("span", { class: "badge", hidden: true });
          this.links[s.id] = h(
            "a",
            { href: `#/${s.id}`, class: "tab", "data-section": s.id },
            icon(s.icon, 24),
            h("span", { class: "tab-label" }, s.label),
            this.badges[s.id],
          );
          return h("li", {}, this.links[s.id]);
        }),
      ),
    );
    this.main = h("main", { id: "main", class: "view", tabindex: "-1" });
    this.el = h(
      "div",
      { class: "shell" },
      h("a", { class: "skip", href: "#main", onclick: (e) => this.skip(e) }, "Skip to content"),
      h(
        "header",
        { class: "topbar" },
        h("span", { class: "brand", "aria-hidden": "true" }, "◎"),
        h("span", { class: "app-name" }, "EchoSphere"),
        this.conn,
      ),
      nav,
      this.main,
    );
    replace(root, this.el);

    this.onHash = () => this.route();
    this.onState = (e) => this.showState(e.detail);
    this.onChange = () => this.updateBadges();
    this.onVisible = () => document.visibilityState === "visible" && this.poll();
    addEventListener("hashchange", this.onHash);
    document.addEventListener("visibilitychange", this.onVisible);
    link.addEventListener("state", this.onState);
    state.addEventListener("change", this.onChange);
    link.addEventListener("error", (e) => this.serverError(e.detail));
    this.pollTimer = setInterval(
      () => document.visibilityState === "visible" && this.poll(),
      POLL_MS,
    );
    this.tick = setInterval(() => this.countdown(), 1000);
    this.route();
    this.updateBadges();
  }

  destroy() {
    removeEventListener("hashchange", this.onHash);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearInterval(this.pollTimer);
    clearInterval(this.tick);
    for (const view of Object.values(this.views)) view.destroy?.();
  }

  skip(event) {
    event.preventDefault();
    this.main.focus();
  }

  /** Friend requests and friendships change on other devices: look again now and then. */
  poll() {
    const { state } = this.context;
    state.loadRequests().catch(() => {});
    state.loadFriends().catch(() => {});
  }

  route() {
    const [section = "chats", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    const param = rest.map(decodeURIComponent).join("/");
    let id = section in this.views ? section : "chats";
    let args = { param };
    if (section === "add") {
      id = "contacts";
      args = { add: param };
    }
    if (this.current !== id) {
      this.current && this.views[this.current].hide?.();
      this.current = id;
      replace(this.main, this.views[id].el);
      for (const [name, link] of Object.entries(this.links)) {
        if (name === id) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    }
    document.body.dataset.section = id;
    this.views[id].show(args);
    this.updateTitle();
  }

  updateBadges() {
    const { state } = this.context;
    this.setBadge("chats", state.totalUnread(), "unread");
    this.setBadge("contacts", state.incoming.length, "friend requests");
    this.updateTitle();
  }

  /** "(3) Chats · EchoSphere": the unread count shows on the browser tab too. */
  updateTitle() {
    const unread = this.context.state.totalUnread();
    const section = SECTIONS.find((s) => s.id === this.current)?.label || "Chats";
    document.title = `${unread ? `(${unread}) ` : ""}${section} · EchoSphere`;
  }

  setBadge(id, count, what) {
    const badge = this.badges[id];
    badge.hidden = !count;
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.setAttribute("aria-label", `${count} ${what}`);
  }

  showState({ state, retryAt }) {
    this.conn.dataset.state = state;
    document.body.dataset.conn = state;
    this.retryAt = retryAt || 0;
    const labels = {
      connecting: "Connecting…",
      syncing: "Syncing…",
      online: "Online",
      replaced: "Open in another window",
      stopped: "Disconnected",
      "signed-out": "Signed out",
    };
    replace(this.statusAction);
    if (state === "waiting") {
      this.countdown();
      this.statusAction.append(
        h(
          "button",
          { type: "button", class: "link", onclick: () => this.context.link.connectNow() },
          "Retry now",
        ),
      );
    } else {
      this.status.textContent = labels[state] || state;
    }
    if (state === "replaced") {
      this.statusAction.append(
        h(
          "button",
          { type: "button", class: "link", onclick: () => this.context.link.connectNow() },
          "Use here",
        ),
      );
    }
  }

  countdown() {
    if (this.context.link.state !== "waiting") return;
    const seconds = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
    const offline = navigator.onLine ? "Disconnected" : "Offline";
    this.status.textContent = seconds
      ? `${offline} · retrying in ${seconds} s`
      : `${offline} · retrying…`;
  }

  serverError(frame) {
    toast(frame.message || frame.code, "error");
  }
}
