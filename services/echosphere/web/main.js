// Start-up: resume a stored session or show the login, then run the app.

import { accountToResume, claimTab, releaseClaim } from "./accounts.js";
import { Api, SignedOut } from "./api.js";
import { ChatState } from "./chats.js";
import { h, replace } from "./dom.js";
import { ChatLink } from "./link.js";
import { Shell } from "./shell.js";
import { showLogin } from "./view-login.js";

const root = document.getElementById("app");
const api = new Api();
let running = null; // {link, state, shell}

function stop() {
  running?.link.stop();
  running?.shell.destroy();
  running = null;
}

api.onSignedOut = (error) => {
  stop();
  releaseClaim();
  const notice =
    error?.code === "logged_out" ? "You are logged out." : "Your session ended; log in again.";
  login(notice);
};

function login(notice = "") {
  showLogin(root, { api, notice, onLoggedIn: start });
}

async function start() {
  claimTab(api.user);
  const link = new ChatLink(api);
  const state = new ChatState(api, link);
  link.seed(await state.load());
  const shell = new Shell(root, { api, link, state });
  running = { link, state, shell };
  link.start();
}

function unreachable(error, retry) {
  replace(
    root,
    h(
      "main",
      { class: "splash", id: "main" },
      h("h1", {}, "EchoSphere"),
      h("p", { role: "alert" }, `The server cannot be reached (${error.message}).`),
      h("button", { type: "button", onclick: retry }, "Try again"),
    ),
  );
}

async function boot() {
  const user = await accountToResume();
  if (!user) return login();
  try {
    await api.resume(user);
  } catch (error) {
    if (error instanceof SignedOut) return undefined; // onSignedOut showed the login
    return unreachable(error, boot);
  }
  try {
    await start();
  } catch (error) {
    if (error instanceof SignedOut) return undefined; // onSignedOut showed the login
    stop();
    unreachable(error, boot);
  }
  return undefined;
}

boot();
