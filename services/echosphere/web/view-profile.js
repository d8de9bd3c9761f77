// Me: my profile, my add-friend QR code and link, my devices, logging out.

import { avatar, h, replace, toast } from "./dom.js";

export class ProfileView {
  constructor(context) {
    this.context = context;
    this.qr = h("img", { class: "qr", alt: "My add-friend QR code", width: "200", height: "200" });
    this.qrUrl = null;
    this.linkText = h("code", { class: "add-link" });
    this.webLink = h("code", { class: "add-link" });
    this.form = h("form", { class: "stack", onsubmit: (e) => this.save(e) });
    this.devices = h("ul", { class: "people", "aria-labelledby": "devices-heading" });
    this.head = h("div", { class: "profile-head" });
    this.el = h(
      "div",
      { class: "page profile" },
      h("header", { class: "pane-head" }, h("h1", {}, "Me")),
      h(
        "section",
        { class: "card me-card", "aria-label": "My profile and QR code" },
        this.head,
        h(
          "div",
          { class: "qr-block" },
          h("h2", { id: "qr-heading" }, "My QR code"),
          h("p", { class: "muted small" }, "Friends scan it, or paste the link, to add you."),
          h("div", { class: "qr-box" }, this.qr),
          h("p", {}, this.linkText, " ", this.copyButton(this.linkText, "Copy link")),
          h("p", {}, this.webLink, " ", this.copyButton(this.webLink, "Copy web link")),
        ),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "edit-heading" },
        h("h2", { id: "edit-heading" }, "Edit profile"),
        this.form,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "devices-heading" },
        h("h2", { id: "devices-heading" }, "Devices"),
        this.devices,
      ),
      h("button", { type: "button", class: "danger", onclick: () => this.logout() }, "Log out"),
    );
  }

  copyButton(source, label) {
    return h(
      "button",
      { type: "button", class: "small ghost", onclick: () => this.copy(source) },
      label,
    );
  }

  show() {
    this.render();
    this.loadQr();
    this.loadDevices();
  }

  render() {
    const me = this.context.state.me;
    const name = me.nickname || (me.handle ? `@${me.handle}` : "Me");
    replace(
      this.head,
      avatar(name, me.id, "large"),
      h("div", {}, h("h2", {}, name), h("p", { class: "muted" }, me.phone)),
    );
    const field = (id, label, value, extra = {}) => [
      h("label", { for: `me-${id}` }, label),
      h("input", { id: `me-${id}`, name: id, value: value || "", ...extra }),
    ];
    replace(
      this.form,
      field("nickname", "Name", me.nickname, { maxlength: "40" }),
      field("handle", "Handle (3-20 of a-z, 0-9, _)", me.handle, {
        pattern: "[a-z0-9_]{3,20}",
        autocapitalize: "off",
      }),
      field("bio", "About me", me.bio, { maxlength: "280" }),
      field("region", "Region", me.region, { maxlength: "64" }),
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "discoverable", checked: me.discoverable_by_phone }),
        "Others may find me by my phone number",
      ),
      h("button", { type: "submit" }, "Save profile"),
    );
    const target = me.handle || me.id;
    this.linkText.textContent = `echosphere://add/${target}`;
    this.webLink.textContent = `${location.origin}/#/add/${encodeURIComponent(target)}`;
  }

  async save(event) {
    event.preventDefault();
    const { api, state } = this.context;
    const form = event.target.elements;
    const change = {
      nickname: form.nickname.value.trim(),
      bio: form.bio.value,
      region: form.region.value,
      discoverable_by_phone: form.discoverable.checked,
    };
    if (form.handle.value.trim() && form.handle.value.trim() !== state.me.handle) {
      change.handle = form.handle.value.trim();
    }
    try {
      state.me = await api.patch("/api/me", change);
      state.users.set(state.me.id, state.me);
      toast("Profile saved.");
      this.render();
      this.loadQr();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async loadQr() {
    try {
      const blob = await this.context.api.get("/api/me/qr");
      if (this.qrUrl) URL.revokeObjectURL(this.qrUrl);
      this.qrUrl = URL.createObjectURL(blob);
      this.qr.src = this.qrUrl;
    } catch (error) {
      toast(`QR code: ${error.message}`, "error");
    }
  }

  async loadDevices() {
    const { api } = this.context;
    try {
      const { devices } = await api.get("/api/auth/devices");
      replace(
        this.devices,
        devices.map((d) =>
          h(
            "li",
            { class: "person" },
            h(
              "span",
              { class: "who" },
              h("strong", {}, d.name),
              d.current ? h("span", { class: "muted" }, " (this browser)") : null,
            ),
            d.current
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    class: "small ghost",
                    "aria-label": `Log out ${d.name}`,
                    onclick: () => this.revoke(d.id),
                  },
                  "Log out",
                ),
          ),
        ),
      );
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async revoke(id) {
    try {
      await this.context.api.del(`/api/auth/devices/${id}`);
      this.loadDevices();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async copy(el) {
    try {
      await navigator.clipboard.writeText(el.textContent);
      toast("Copied.");
    } catch {
      toast("Select the link and copy it.", "error");
    }
  }

  logout() {
    this.context.api.logout().catch(() => {});
  }
}
