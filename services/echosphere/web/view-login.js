// Phone login: ask for a code, then exchange it for a session. A dev server
// returns the code in its answer; it is filled in and labelled as such.

import { h, replace } from "./dom.js";

function deviceName() {
  const agent = navigator.userAgent;
  const browser =
    (/Edg\//.test(agent) && "Edge") ||
    (/Firefox\//.test(agent) && "Firefox") ||
    (/Chrom(e|ium)\//.test(agent) && "Chromium") ||
    (/Safari\//.test(agent) && "Safari") ||
    "browser";
  const system =
    (/Android/.test(agent) && "Android") ||
    (/iPhone|iPad/.test(agent) && "iOS") ||
    (/Mac OS/.test(agent) && "macOS") ||
    (/Windows/.test(agent) && "Windows") ||
    (/Linux/.test(agent) && "Linux") ||
    "";
  return `Web · ${browser}${system ? ` on ${system}` : ""}`;
}

export function showLogin(root, { api, notice = "", onLoggedIn }) {
  const error = h("p", { class: "form-error", role: "alert", id: "login-error" });
  const phone = h("input", {
    id: "login-phone",
    name: "phone",
    type: "tel",
    autocomplete: "tel",
    inputmode: "tel",
    placeholder: "+1 415 555 0101",
    required: true,
    "aria-describedby": "login-error",
  });
  const code = h("input", {
    id: "login-code",
    name: "code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
    required: true,
    "aria-describedby": "login-code-note login-error",
  });
  const codeNote = h("p", { class: "note", id: "login-code-note", role: "status" });
  const sendButton = h("button", { type: "submit" }, "Send code");
  const loginButton = h("button", { type: "submit" }, "Log in");

  const codeForm = h(
    "form",
    { class: "stack", hidden: true, "aria-label": "Enter the code" },
    h("label", { for: "login-code" }, "Code from the text message"),
    code,
    codeNote,
    loginButton,
    h(
      "button",
      { type: "button", class: "link", onclick: () => phoneStep() },
      "Use another number",
    ),
  );
  const phoneForm = h(
    "form",
    { class: "stack", "aria-label": "Phone number" },
    h("label", { for: "login-phone" }, "Phone number, with country code"),
    phone,
    sendButton,
  );

  function phoneStep() {
    codeForm.hidden = true;
    phoneForm.hidden = false;
    phone.focus();
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  phoneForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    busy(sendButton, true);
    try {
      const answer = await api.requestCode(phone.value.trim());
      phoneForm.hidden = true;
      codeForm.hidden = false;
      if (answer.dev_code) {
        code.value = answer.dev_code;
        codeNote.textContent =
          "Development server: no text message is sent. The server returned this " +
          "code with its answer, and it is filled in for you.";
        codeNote.classList.add("dev");
        loginButton.focus();
      } else {
        codeNote.textContent = `We sent a code to ${phone.value.trim()}.`;
        codeNote.classList.remove("dev");
        code.value = "";
        code.focus();
      }
    } catch (failure) {
      error.textContent =
        failure.code === "code_too_soon"
          ? `A code was just sent; wait ${failure.retryAfter || "a few"} s to ask again.`
          : failure.message;
      if (failure.code === "code_too_soon" && phoneForm.hidden === false) {
        phoneForm.hidden = true;
        codeForm.hidden = false;
        code.focus();
      }
    } finally {
      busy(sendButton, false);
    }
  });

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    busy(loginButton, true);
    try {
      await api.login(phone.value.trim(), code.value.trim(), deviceName());
      await onLoggedIn();
    } catch (failure) {
      error.textContent = failure.message;
      busy(loginButton, false);
    }
  });

  replace(
    root,
    h(
      "main",
      { class: "login", id: "main" },
      h(
        "div",
        { class: "login-card" },
        h("div", { class: "brand", "aria-hidden": "true" }, "◎"),
        h("h1", {}, "EchoSphere"),
        h("p", { class: "lead" }, "Chat with friends and groups. Log in with your phone number."),
        notice ? h("p", { class: "note", role: "status" }, notice) : null,
        phoneForm,
        codeForm,
        error,
      ),
    ),
  );
  phone.focus();
}
