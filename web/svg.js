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
