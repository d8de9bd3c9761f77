// Line icons drawn as inline SVG (24x24, stroked in the text colour), so
// they look the same everywhere, with no emoji font and no extra requests.
// Every icon is decorative: the control around it carries the label.

const SHAPES = {
  chat: [["path", { d: "M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" }]],
  contacts: [
    ["circle", { cx: 9, cy: 8, r: 3.5 }],
    ["path", { d: "M2.5 20a6.5 6.5 0 0 1 13 0" }],
    ["circle", { cx: 17, cy: 9, r: 2.5 }],
    ["path", { d: "M16.5 14.2A5 5 0 0 1 21.5 19" }],
  ],
  feed: [
    ["rect", { x: 3, y: 4, width: 18, height: 16, rx: 2 }],
    ["circle", { cx: 9, cy: 10, r: 2 }],
    ["path", { d: "M21 16l-5-5-9 9" }],
  ],
  bottle: [
    ["path", { d: "M10 2h4v4l2 3v11a2 2 0 0 1-2 2h-4a2 2 0 0 1-2-2V9l2-3z" }],
    ["path", { d: "M8 13h8" }],
  ],
  user: [
    ["circle", { cx: 12, cy: 8, r: 4 }],
    ["path", { d: "M4 21a8 8 0 0 1 16 0" }],
  ],
  camera: [
    [
      "path",
      { d: "M4 7h3l2-3h6l2 3h3a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z" },
    ],
    ["circle", { cx: 12, cy: 13, r: 4 }],
  ],
  mic: [
    ["rect", { x: 9, y: 3, width: 6, height: 11, rx: 3 }],
    ["path", { d: "M5 11a7 7 0 0 0 14 0M12 18v3" }],
  ],
  stop: [["rect", { x: 6, y: 6, width: 12, height: 12, rx: 2, fill: "currentColor" }]],
  back: [["path", { d: "M15 5l-7 7 7 7" }]],
  heart: [["path", { d: "M12 20s-7-4.4-9-9a4.5 4.5 0 0 1 9-2 4.5 4.5 0 0 1 9 2c-2 4.6-9 9-9 9z" }]],
  send: [["path", { d: "M4 12l16-8-6 16-2-7z" }]],
  pin: [
    ["path", { d: "M12 21s-7-6.2-7-11a7 7 0 0 1 14 0c0 4.8-7 11-7 11z" }],
    ["circle", { cx: 12, cy: 10, r: 2.5 }],
  ],
  clock: [
    ["circle", { cx: 12, cy: 12, r: 8 }],
    ["path", { d: "M12 8v4l3 2" }],
  ],
};

const NS = "http://www.w3.org/2000/svg";

export function icon(name, size = 22) {
  const svg = document.createElementNS(NS, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: size,
    height: size,
    fill: "none",
    stroke: "currentColor",
    "stroke-width": 2,
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
    class: `icon icon-${name}`,
  })) {
    svg.setAttribute(key, String(value));
  }
  for (const [tag, attrs] of SHAPES[name] || []) {
    const part = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs)) part.setAttribute(key, String(value));
    svg.append(part);
  }
  return svg;
}
