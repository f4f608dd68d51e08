// Building elements without HTML strings: every text goes in as text, never as markup,
// so nothing a job name or a log line holds can become a script.

// h("div.a.b", {title: "x", onclick: fn}, child, "text", [more]) → an element.
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  return build(document.createElement(tag || "div"), classes, attrs, children);
}

// el given classes, attributes and children as h() takes them (svg.js makes SVG with it).
export function build(el, classes, attrs, children) {
  if (classes.length) el.setAttribute("class", classes.join(" "));
  // Anything but a plain object in the attributes' place is the first child (0 and "" too).
  if (attrs !== undefined && (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replace what el holds.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// "3 s ago", "2 min ago" for an RFC 3339 time; "" for none.
export function ago(t) {
  if (!t) return "";
  const s = Math.round((Date.now() - Date.parse(t)) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function time(t) {
  return t ? new Date(t).toLocaleString() : "";
}

export function mb(n) {
  if (n === undefined || n === null) return "";
  return n >= 1024 ? `${(n / 1024).toFixed(1)} GB` : `${n} MB`;
}

export function ms(n) {
  if (n === undefined || n === null) return "";
  if (n < 1000) return `${n} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.floor(n / 60000)} min ${Math.round((n % 60000) / 1000)} s`;
}

export const STATES = ["waiting", "ready", "running", "done", "failed", "cancelled", "skipped"];

// A state as a coloured badge.
export function badge(state) {
  return h(`span.badge.s-${state}`, state);
}
