// Contacts: find people (handle, phone, or an add-friend link typed, pasted
// or scanned from a QR code), answer friend requests, list friends, and
// make groups.

import { directConv } from "./chats.js";
import { avatar, h, replace, toast } from "./dom.js";

/** What the person typed: an app link (add-friend or group join), a phone number or a handle. */
export function parseTarget(text) {
  const value = text.trim();
  if (/^echosphere:\/\//i.test(value)) return { kind: "link", value };
  const web = value.match(/#\/add\/([^/?#\s]+)$/);
  if (web) return { kind: "link", value: `echosphere://add/${decodeURIComponent(web[1])}` };
  if (/^\+?[\d\s().-]{6,}$/.test(value)) return { kind: "phone", value };
  return { kind: "handle", value: value.replace(/^@/, "").toLowerCase() };
}

export class ContactsView {
  constructor(context) {
    this.context = context;
    this.target = h("input", {
      id: "add-target",
      autocomplete: "off",
      placeholder: "@handle, +1 415 555 0101 or echosphere://add/…",
      required: true,
    });
    this.note = h("input", { id: "add-note", maxlength: "200", placeholder: "Hi, it's me!" });
    this.result = h("div", { class: "lookup", "aria-live": "polite" });
    this.scan = h("div", { class: "scan-row" });
    this.incoming = h("ul", { class: "people", "aria-labelledby": "requests-heading" });
    this.outgoing = h("ul", { class: "people", "aria-labelledby": "sent-heading" });
    this.friendList = h("ul", { class: "people", "aria-labelledby": "friends-heading" });
    this.groupList = h("ul", { class: "people", "aria-labelledby": "groups-heading" });
    this.newGroup = h("form", { class: "stack", onsubmit: (e) => this.createGroup(e) });
    this.el = h(
      "div",
      { class: "page contacts" },
      h(
        "header",
        { class: "pane-head" },
        h("h1", {}, "Contacts"),
        h(
          "button",
          { type: "button", class: "small ghost", onclick: () => this.refresh() },
          "Refresh",
        ),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "add-heading" },
        h("h2", { id: "add-heading" }, "Add a friend"),
        h(
          "form",
          { class: "stack", onsubmit: (e) => this.lookup(e) },
          h("label", { for: "add-target" }, "Handle, phone number or add-friend link"),
          this.target,
          h("label", { for: "add-note" }, "Message with the request (optional)"),
          this.note,
          h("button", { type: "submit" }, "Find"),
        ),
        this.scan,
        this.result,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "requests-heading" },
        h("h2", { id: "requests-heading" }, "Friend requests"),
        this.incoming,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "sent-heading" },
        h("h2", { id: "sent-heading" }, "Sent requests"),
        this.outgoing,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "friends-heading" },
        h("h2", { id: "friends-heading" }, "Friends"),
        this.friendList,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "groups-heading" },
        h("h2", { id: "groups-heading" }, "Groups"),
        this.groupList,
        this.newGroup,
      ),
    );
    this.renderScan();
    context.state.addEventListener("change", (e) => {
      if (["friends", "requests", "groups", "users"].includes(e.detail.what)) this.render();
    });
  }

  show({ add }) {
    this.render();
    this.refresh();
    if (add) {
      this.target.value = add.startsWith("echosphere:") ? add : `echosphere://add/${add}`;
      this.lookup();
    }
  }

  refresh() {
    const { state } = this.context;
    return Promise.all([state.loadRequests(), state.loadFriends(), state.loadGroups()]).catch(
      (error) => toast(error.message, "error"),
    );
  }

  // -- finding people ------------------------------------------------------------------

  /** Resolve what was typed into {user} or {group, member, token}. */
  async find(text) {
    const { api } = this.context;
    const target = parseTarget(text);
    if (target.kind === "link") {
      const found = await api.get(`/api/links/resolve?url=${encodeURIComponent(target.value)}`);
      return found.kind === "group" ? found : { user: found.user };
    }
    if (target.kind === "phone") {
      return { user: await api.get(`/api/users?phone=${encodeURIComponent(target.value)}`) };
    }
    return { user: await api.get(`/api/users?handle=${encodeURIComponent(target.value)}`) };
  }

  async lookup(event) {
    event?.preventDefault();
    replace(this.result, h("p", {}, "Looking…"));
    try {
      const found = await this.find(this.target.value);
      replace(this.result, found.user ? this.userCard(found.user) : this.groupCard(found));
    } catch (error) {
      const message = error.code === "user_not_found" ? "Nobody matches." : error.message;
      replace(this.result, h("p", { class: "form-error", role: "alert" }, message));
    }
  }

  userCard(user) {
    const { state } = this.context;
    state.users.set(user.id, { ...state.users.get(user.id), ...user });
    const name = user.nickname || (user.handle ? `@${user.handle}` : "This person");
    let action;
    if (user.id === state.me.id) action = h("p", {}, "That is you.");
    else if (state.friends.has(user.id)) {
      const conv = encodeURIComponent(directConv(state.me.id, user.id));
      action = h("a", { class: "button", href: `#/chats/${conv}` }, "Message");
    } else {
      action = h(
        "button",
        { type: "button", onclick: () => this.request(user) },
        "Send friend request",
      );
    }
    return h(
      "div",
      { class: "person found" },
      avatar(name, user.id),
      h(
        "span",
        { class: "who" },
        h("strong", {}, name),
        user.handle ? h("span", { class: "muted" }, ` @${user.handle}`) : null,
      ),
      action,
    );
  }

  groupCard({ group, member, token }) {
    const conv = `#/chats/${encodeURIComponent(`g:${group.id}`)}`;
    return h(
      "div",
      { class: "person found" },
      avatar(group.name, `g:${group.id}`, "group"),
      h(
        "span",
        { class: "who" },
        h("strong", {}, group.name),
        h("span", { class: "muted" }, ` ${group.members} members`),
      ),
      member
        ? h("a", { class: "button", href: conv }, "Open")
        : h("button", { type: "button", onclick: () => this.join(group, token) }, "Join group"),
    );
  }

  async join(group, token) {
    const { api, state } = this.context;
    try {
      await api.post(`/api/groups/${encodeURIComponent(group.id)}/join`, { token });
      await state.loadGroups();
      this.target.value = "";
      replace(this.result);
      location.hash = `#/chats/${encodeURIComponent(`g:${group.id}`)}`;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async request(user) {
    const { api, state } = this.context;
    try {
      const made = await api.post("/api/friend-requests", {
        to: user.id,
        message: this.note.value,
      });
      toast(made.status === "accepted" ? "You are now friends." : "Friend request sent.");
      replace(
        this.result,
        h(
          "p",
          { role: "status" },
          made.status === "accepted" ? "You are now friends." : "Request sent.",
        ),
      );
      this.target.value = "";
      this.note.value = "";
      await Promise.all([state.loadRequests(), state.loadFriends()]);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  /** QR scanning needs the browser's BarcodeDetector; without it, people paste the link. */
  renderScan() {
    if (!("BarcodeDetector" in window)) {
      replace(
        this.scan,
        h(
          "p",
          { class: "muted small" },
          "Paste the link under someone's QR code into the field above.",
        ),
      );
      return;
    }
    const file = h("input", {
      type: "file",
      accept: "image/*",
      id: "qr-file",
      class: "visually-hidden",
      tabindex: "-1",
      onchange: () => this.scanImage(file),
    });
    replace(
      this.scan,
      navigator.mediaDevices?.getUserMedia
        ? h(
            "button",
            { type: "button", class: "small ghost", onclick: () => this.scanCamera() },
            "Scan with the camera",
          )
        : null,
      h(
        "button",
        { type: "button", class: "small ghost", onclick: () => file.click() },
        "Read a QR code from a picture",
      ),
      file,
    );
  }

  /** Look through the camera until a QR code shows up (or 60 s pass, or Stop). */
  async scanCamera() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      toast(`Camera unavailable: ${error.message}`, "error");
      return;
    }
    const video = h("video", {
      class: "scan-video",
      muted: true,
      playsinline: true,
      "aria-label": "Camera view",
    });
    const done = () => {
      for (const track of stream.getTracks()) track.stop();
      video.remove();
      stop.remove();
    };
    const stop = h(
      "button",
      { type: "button", class: "small danger", onclick: done },
      "Stop scanning",
    );
    this.scan.append(video, stop);
    video.srcObject = stream;
    await video.play();
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const until = Date.now() + 60_000;
    while (video.isConnected && Date.now() < until) {
      const [code] = await detector.detect(video).catch(() => []);
      if (code) {
        done();
        this.target.value = code.rawValue;
        await this.lookup();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    if (video.isConnected) done();
  }

  async scanImage(input) {
    const picture = input.files[0];
    input.value = "";
    if (!picture) return;
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      const [code] = await detector.detect(await createImageBitmap(picture));
      if (!code) throw new Error("no QR code found in the picture");
      this.target.value = code.rawValue;
      await this.lookup();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  // -- lists ----------------------------------------------------------------------------

  render() {
    const { state } = this.context;
    replace(
      this.incoming,
      state.incoming.length
        ? state.incoming.map((r) => this.requestItem(r))
        : h("li", { class: "empty" }, "No requests waiting."),
    );
    replace(
      this.outgoing,
      state.outgoing.length
        ? state.outgoing.map((r) =>
            h(
              "li",
              { class: "person" },
              avatar(state.name(r.to), r.to),
              h("span", { class: "who" }, state.name(r.to)),
              h("span", { class: "muted" }, "waiting"),
            ),
          )
        : h("li", { class: "empty" }, "None."),
    );
    const friends = [...state.friends.values()].sort((a, b) =>
      state.name(a.user.id).localeCompare(state.name(b.user.id)),
    );
    replace(
      this.friendList,
      friends.length
        ? friends.map((f) => this.friendItem(f))
        : h("li", { class: "empty" }, "No friends yet. Add someone above."),
    );
    const groups = [...state.groups.values()];
    replace(
      this.groupList,
      groups.length
        ? groups.map((g) =>
            h(
              "li",
              { class: "person" },
              avatar(g.name, g.conv, "group"),
              h("a", { class: "who", href: `#/chats/${encodeURIComponent(g.conv)}` }, g.name),
            ),
          )
        : h("li", { class: "empty" }, "No groups yet."),
    );
    this.renderNewGroup(friends);
  }

  requestItem(request) {
    const { state } = this.context;
    const name = state.name(request.from);
    return h(
      "li",
      { class: "person", "data-request": request.id },
      avatar(name, request.from),
      h(
        "span",
        { class: "who" },
        h("strong", {}, name),
        request.message ? h("span", { class: "muted" }, ` “${request.message}”`) : null,
      ),
      h(
        "button",
        {
          type: "button",
          class: "small",
          "aria-label": `Accept ${name}`,
          onclick: () => this.answer(request, "accept"),
        },
        "Accept",
      ),
      h(
        "button",
        {
          type: "button",
          class: "small ghost",
          "aria-label": `Decline ${name}`,
          onclick: () => this.answer(request, "decline"),
        },
        "Decline",
      ),
    );
  }

  async answer(request, verb) {
    const { api, state } = this.context;
    try {
      await api.post(`/api/friend-requests/${request.id}/${verb}`);
      await Promise.all([state.loadRequests(), state.loadFriends()]);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  friendItem(friend) {
    const { state } = this.context;
    const id = friend.user.id;
    const name = state.name(id);
    return h(
      "li",
      { class: "person" },
      avatar(name, id),
      h(
        "span",
        { class: "who" },
        h("strong", {}, name),
        friend.user.handle ? h("span", { class: "muted" }, ` @${friend.user.handle}`) : null,
      ),
      h(
        "a",
        {
          class: "button small",
          href: `#/chats/${encodeURIComponent(directConv(state.me.id, id))}`,
          "aria-label": `Message ${name}`,
        },
        "Message",
      ),
      h(
        "button",
        {
          type: "button",
          class: "small ghost",
          "aria-label": `Remove ${name}`,
          onclick: () => this.unfriend(id, name),
        },
        "Remove",
      ),
    );
  }

  async unfriend(id, name) {
    if (!confirm(`Remove ${name} from your friends?`)) return;
    try {
      await this.context.api.del(`/api/friends/${id}`);
      await this.context.state.loadFriends();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  renderNewGroup(friends) {
    const { state } = this.context;
    if (this.newGroup.contains(document.activeElement)) return; // do not disturb someone filling it in
    replace(
      this.newGroup,
      h("h3", {}, "New group"),
      h("label", { for: "group-new-name" }, "Group name"),
      h("input", { id: "group-new-name", name: "name", maxlength: "64", required: true }),
      h(
        "fieldset",
        {},
        h("legend", {}, "Members"),
        friends.length
          ? friends.map((f) =>
              h(
                "label",
                { class: "check" },
                h("input", { type: "checkbox", name: "member", value: f.user.id }),
                state.name(f.user.id),
              ),
            )
          : h("p", { class: "muted" }, "Add friends first."),
      ),
      h("button", { type: "submit" }, "Create group"),
    );
  }

  async createGroup(event) {
    event.preventDefault();
    const { api, state } = this.context;
    const form = event.target;
    const members = [...form.querySelectorAll("input[name=member]:checked")].map((i) => i.value);
    try {
      const group = await api.post("/api/groups", { name: form.elements.name.value, members });
      form.reset();
      await state.loadGroups();
      location.hash = `#/chats/${encodeURIComponent(group.conv)}`;
    } catch (error) {
      toast(error.message, "error");
    }
  }
}
