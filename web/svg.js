// SVG elements built like dom.js's h(): attributes set one by one, text as text. No style
// attribute (the CSP forbids inline styles): looks come from classes in style.css.
import { build } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";

// s("rect.a.b", {x: 1, onclick: fn}, child, "text") → an SVG element.
export function s(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  return build(document.createElementNS(NS, tag), classes, attrs, children);
}

// The width in pixels of text in the given CSS font, to size boxes before they are drawn.
const ctx = document.createElement("canvas").getContext("2d");
export function textWidth(text, font) {
  ctx.font = font;
  return ctx.measureText(text).width;
}

// text cut to at most max pixels in font, with an ellipsis when cut (SVG text does not wrap).
export function fit(text, font, max) {
  if (textWidth(text, font) <= max) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {    // the longest prefix that fits with the ellipsis
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, font) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
