// What the browser keeps between visits, per account.
//
// localStorage holds, per user id, the refresh token (the only secret kept)
// and the protocol state that is not secret: the sync cursors and the sends
// still waiting for an ack. The access token never leaves memory. Several
// accounts can live in one browser (two windows, two people): each tab
// remembers in sessionStorage which account it shows, and holds a Web Lock
// named after it, so a new tab does not pick an account already open.

const ACCOUNTS = "echo.accounts";
const TAB = "echo.tab";

function readJson(storage, key, fallback) {
  try {
    const value = JSON.parse(storage.getItem(key));
    return value && typeof value === "object" ? value : fallback;
  } catch {
    return fallback;
  }
}

function accounts() {
  return readJson(localStorage, ACCOUNTS, {});
}

export function refreshTokenOf(user) {
  return accounts()[user] || null;
}

export function saveRefreshToken(user, token) {
  const all = accounts();
  all[user] = token;
  localStorage.setItem(ACCOUNTS, JSON.stringify(all));
}

/** Forget an account: its token, cursors and waiting sends. */
export function forget(user) {
  const all = accounts();
  delete all[user];
  localStorage.setItem(ACCOUNTS, JSON.stringify(all));
  localStorage.removeItem(`echo.cursors.${user}`);
  localStorage.removeItem(`echo.outbox.${user}`);
  if (sessionStorage.getItem(TAB) === user) sessionStorage.removeItem(TAB);
}

export function tabUser() {
  return sessionStorage.getItem(TAB);
}

let releaseTab = null;

/** Mark this tab as showing `user`: sessionStorage for reloads, a held lock for other tabs. */
export function claimTab(user) {
  sessionStorage.setItem(TAB, user);
  releaseTab?.();
  releaseTab = null;
  if (!navigator.locks) return;
  navigator.locks.request(`echo-tab-${user}`, { ifAvailable: true }, (lock) =>
    lock ? new Promise((resolve) => (releaseTab = resolve)) : null,
  );
}

export function releaseClaim() {
  sessionStorage.removeItem(TAB);
  releaseTab?.();
  releaseTab = null;
}

/** The account this tab should open: its own, or one no other tab has open. */
export async function accountToResume() {
  const mine = tabUser();
  if (mine && refreshTokenOf(mine)) return mine;
  const stored = Object.keys(accounts());
  if (!stored.length) return null;
  if (!navigator.locks) return stored.length === 1 ? stored[0] : null;
  const held = new Set((await navigator.locks.query()).held.map((lock) => lock.name));
  return stored.find((user) => !held.has(`echo-tab-${user}`)) || null;
}

/** Run `work` while holding the account's refresh lock, so tabs rotate one at a time. */
export function withRefreshLock(user, work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(`echo-refresh-${user}`, work);
}

export function loadCursors(user) {
  const stored = readJson(localStorage, `echo.cursors.${user}`, {});
  return Object.fromEntries(
    Object.entries(stored).filter(([, seq]) => Number.isSafeInteger(seq) && seq >= 0),
  );
}

export function saveCursors(user, cursors) {
  localStorage.setItem(`echo.cursors.${user}`, JSON.stringify(cursors));
}

export function loadOutbox(user) {
  const stored = readJson(localStorage, `echo.outbox.${user}`, []);
  return Array.isArray(stored) ? stored.filter((f) => f && f.op === "send" && f.cid) : [];
}

export function saveOutbox(user, frames) {
  if (frames.length) localStorage.setItem(`echo.outbox.${user}`, JSON.stringify(frames));
  else localStorage.removeItem(`echo.outbox.${user}`);
}
