// A group's details inside its conversation: members and roles, adding
// friends, renaming (owner and admins) and leaving.

import { h, replace, toast } from "./dom.js";

export class GroupPanel {
  constructor(context) {
    this.context = context;
    this.gid = null;
    this.el = h("aside", { class: "group-panel", hidden: true, "aria-label": "Group info" });
  }

  close() {
    this.el.hidden = true;
  }

  toggle(gid) {
    this.el.hidden = !this.el.hidden;
    this.signature = null;
    if (!this.el.hidden) {
      this.render(gid);
      this.el.querySelector("button, input")?.focus();
    }
    return !this.el.hidden;
  }

  render(gid) {
    this.gid = gid;
    if (this.el.hidden) return;
    const { state } = this.context;
    const group = state.groups.get(gid);
    if (!group?.members) {
      this.signature = null;
      replace(this.el, h("p", {}, "Loading…"));
      return;
    }
    const me = group.members.find((m) => m.user === state.me.id);
    const manager = me && (me.role === "owner" || me.role === "admin");
    const present = new Set(group.members.map((m) => m.user));
    const candidates = [...state.friends.values()].filter((f) => !present.has(f.user.id));
    const people = group.members.map((m) => [m.user, m.role, state.name(m.user)]);
    const signature = JSON.stringify([gid, group.name, people, candidates.map((f) => f.user.id)]);
    if (signature === this.signature) return; // keep what the person is doing in the panel
    this.signature = signature;
    const name = h("input", {
      id: "group-name",
      value: group.name,
      maxlength: "64",
      required: true,
    });

    replace(
      this.el,
      h("h3", {}, "Members"),
      h(
        "ul",
        { class: "members" },
        group.members.map((m) =>
          h(
            "li",
            {},
            state.name(m.user),
            m.role !== "member" ? h("span", { class: "role" }, m.role) : null,
          ),
        ),
      ),
      manager
        ? h(
            "form",
            { class: "inline", onsubmit: (e) => this.rename(e, name.value) },
            h("label", { for: "group-name" }, "Group name"),
            name,
            h("button", { type: "submit", class: "small" }, "Rename"),
          )
        : null,
      candidates.length
        ? h(
            "form",
            { class: "stack", onsubmit: (e) => this.add(e) },
            h(
              "fieldset",
              {},
              h("legend", {}, "Add friends"),
              candidates.map((f) =>
                h(
                  "label",
                  { class: "check" },
                  h("input", { type: "checkbox", name: "member", value: f.user.id }),
                  state.name(f.user.id),
                ),
              ),
            ),
            h("button", { type: "submit", class: "small" }, "Add to group"),
          )
        : null,
      h(
        "button",
        { type: "button", class: "small ghost", onclick: (e) => this.invite(e.target) },
        "Invite with a link or QR code",
      ),
      me && me.role !== "owner"
        ? h(
            "button",
            { type: "button", class: "small danger", onclick: () => this.leave() },
            "Leave group",
          )
        : null,
    );
  }

  /** Show the group's join link and QR code in place of the button. */
  async invite(button) {
    const { api } = this.context;
    try {
      const [invite, qr] = await Promise.all([
        api.get(`/api/groups/${this.gid}/invite`),
        api.get(`/api/groups/${this.gid}/qr`),
      ]);
      const until = new Date(invite.expires_at * 1000).toLocaleDateString();
      button.replaceWith(
        h(
          "div",
          { class: "invite" },
          h("img", {
            class: "qr",
            src: URL.createObjectURL(qr),
            alt: "QR code to join this group",
          }),
          h("p", {}, h("code", { class: "add-link" }, invite.link)),
          h("p", { class: "muted small" }, `Anyone with this link can join until ${until}.`),
        ),
      );
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async rename(event, name) {
    event.preventDefault();
    try {
      await this.context.api.patch(`/api/groups/${this.gid}`, { name });
      await this.context.state.loadGroup(this.gid);
      await this.context.state.loadGroups();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async add(event) {
    event.preventDefault();
    const ids = [...event.target.querySelectorAll("input[name=member]:checked")].map(
      (i) => i.value,
    );
    if (!ids.length) return;
    try {
      await this.context.api.post(`/api/groups/${this.gid}/members`, { user_ids: ids });
      await this.context.state.loadGroup(this.gid);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async leave() {
    const { api, state } = this.context;
    if (!confirm("Leave this group?")) return;
    try {
      await api.del(`/api/groups/${this.gid}/members/${state.me.id}`);
      state.convs.delete(`g:${this.gid}`);
      await state.loadGroups();
      location.hash = "#/chats";
    } catch (error) {
      toast(error.message, "error");
    }
  }
}
