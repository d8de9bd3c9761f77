// Small DOM helpers. Text always goes in as text, never as HTML, so nothing a
// user typed can become markup.

/**
 * Build an element: h("button", {class: "x", onclick: fn, "aria-label": "y"}, "text", child).
 * Attribute values of null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "text") {
      el.textContent = value;
    } else if (name === "value" || name === "checked" || name === "disabled") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short-lived notice, read out by screen readers. */
export function toast(text, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : null }, text);
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 7000 : 4000);
}

export function clock(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function day(ts) {
  const date = new Date(ts);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return "Today";
  const yesterday = new Date(today.getTime() - 86400000);
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
}

/** "12:03" today, else a short date: for lists. */
export function when(ts) {
  const date = new Date(ts);
  return date.toDateString() === new Date().toDateString()
    ? clock(ts)
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
}

/** The initial letters of a name, for a round avatar. */
export function initials(name) {
  const words = String(name || "?")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || "?").slice(0, 2);
  return letters.toUpperCase();
}

export function avatar(name, seed, extra = "") {
  let hash = 0;
  for (const ch of String(seed || name)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return h(
    "span",
    { class: `avatar hue${hash % 8} ${extra}`, "aria-hidden": "true" },
    initials(name),
  );
}

/** A random id for a cid: unique per sender, 1-64 characters. */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
