// Definitions: the deployed list, and a definition's page: its arguments (type, default,
// bounds, choices, description: `jobinfo --detail`'s view), command and versions, and a
// run form built from the typed arguments. The form checks each value as the server will
// (type, bounds, choices) before sending, and shows the server's refusal naming the field.
import { api, enc } from "./api.js";
import { h, fill, time } from "./dom.js";

export function mountList(main) {
  const list = h("section");
  fill(main, h("h1", "Definitions"), list);
  async function refresh() {
    const r = await api("GET", "/v1/definitions");
    fill(list, r.definitions.length === 0 ? h("p.muted", "No definition is deployed (jobgrid deploy DIR).") :
      h("table.defs", h("thead", h("tr", ["name", "description", "groups", "version", "kind"].map((t) => h("th", t)))),
        h("tbody", r.definitions.map((d) => h("tr", { dataset: { name: d.name } },
          h("td", h("a", { href: `#/definition/${enc(d.name)}` }, d.name)), h("td", d.description),
          h("td", (d.groups || []).join(", ")), h("td", d.version), h("td", d.kind))))));
  }
  return { refresh };
}

// The value of input el for argument a, typed; or throws an Error naming the argument.
// undefined: left empty (the default applies).
export function readArg(a, el) {
  const text = el.value.trim();
  if (text === "") {
    if (a.required && a.default === null) throw new Error(`${a.name}: required`);
    return undefined;
  }
  let v;
  switch (a.type) {
    case "integer":
      if (!/^-?\d+$/.test(text)) throw new Error(`${a.name}: must be a whole number, got '${text}'`);
      v = Number(text);
      break;
    case "real":
      v = Number(text);
      if (!Number.isFinite(v)) throw new Error(`${a.name}: must be a number, got '${text}'`);
      break;
    case "boolean":
      if (text !== "true" && text !== "false") throw new Error(`${a.name}: must be true or false`);
      v = text === "true";
      break;
    case "list":
      v = text.split(",");
      break;
    default:
      v = text;
  }
  if (typeof v === "number" && a.min !== null && a.min !== undefined && v < a.min)
    throw new Error(`${a.name}: must be at least ${a.min}, got ${v}`);
  if (typeof v === "number" && a.max !== null && a.max !== undefined && v > a.max)
    throw new Error(`${a.name}: must be at most ${a.max}, got ${v}`);
  if (a.choices && !a.choices.some((c) => JSON.stringify(c) === JSON.stringify(v)))
    throw new Error(`${a.name}: must be one of ${a.choices.map(String).join(", ")}`);
  return v;
}

function input(a) {
  const attrs = { name: a.name, "aria-describedby": `why-${a.name}` };
  const shown = a.default === null || a.default === undefined ? "" : Array.isArray(a.default) ? a.default.join(",") : String(a.default);
  if (a.choices || a.type === "boolean") {
    const options = a.choices || [true, false];
    return h("select", attrs, h("option", { value: "" }, shown === "" ? "—" : `default (${shown})`),
      options.map((c) => h("option", { value: String(c) }, String(c))));
  }
  const el = h("input", Object.assign(attrs, { placeholder: shown === "" ? (a.required ? "required" : "") : `default ${shown}` }));
  if (a.type === "integer" || a.type === "real") {
    el.type = "number";
    el.step = a.type === "integer" ? "1" : "any";
    if (a.min !== null && a.min !== undefined) el.min = String(a.min);
    if (a.max !== null && a.max !== undefined) el.max = String(a.max);
  }
  return el;
}

function bounds(a) {
  const parts = [];
  if (a.min !== null && a.min !== undefined) parts.push(`≥ ${a.min}`);
  if (a.max !== null && a.max !== undefined) parts.push(`≤ ${a.max}`);
  if (a.choices) parts.push(`one of ${a.choices.map(String).join(", ")}`);
  if (a.required) parts.push("required");
  return parts.join(", ");
}

export function mountOne(main, [name]) {
  const head = h("section");
  const form = h("form.run", { novalidate: true, onsubmit: submit });
  const versions = h("section");
  fill(main, h("h1", "Definition ", h("code", name)), head, h("h2", "Run"), form, h("h2", "Versions"), versions);
  let def = null;                  // the definition as last read
  let inputs = new Map();          // argument → its input
  let why = new Map();             // argument → where its refusal shows
  const msg = h("p.refusal", { role: "alert" });

  // The form for d's arguments; what was typed in an argument of the same name is kept.
  function draw(d) {
    fill(head, d.description ? h("p", d.description) : null,
      h("dl.facts", h("dt", "version"), h("dd", d.version), h("dt", "joblets"), h("dd", h("code", String(d.joblets))),
        d.command ? [h("dt", "command"), h("dd", h("code", d.command))] : null,
        d.script_file ? [h("dt", "script"), h("dd", d.script_file)] : null,
        h("dt", "file"), h("dd", d.file || "")));
    const old = inputs;
    inputs = new Map();
    why = new Map();
    const rows = d.args.map((a) => {
      const el = input(a);
      if (old.has(a.name)) el.value = old.get(a.name).value;
      inputs.set(a.name, el);
      why.set(a.name, h("span.refusal", { id: `why-${a.name}` }));
      return h("tr", { dataset: { arg: a.name } },
        h("td", h("label", h("b", a.name), h("div.muted.small", a.type))), h("td", el, why.get(a.name)),
        h("td.muted.rule", bounds(a)), h("td", a.description));
    });
    fill(form, d.args.length ? h("table.args", h("thead", h("tr", ["argument", "value", "rule", "description"].map((t) => h("th", t)))), h("tbody", rows))
      : h("p.muted", "It takes no arguments."), msg, h("button", { type: "submit" }, "Run"));
  }

  function refuse(field, text) {
    const w = why.get(field);
    if (w) {
      fill(w, text);
      inputs.get(field).setAttribute("aria-invalid", "true");
      inputs.get(field).focus();
    }
    fill(msg, text);
  }

  async function submit(ev) {
    ev.preventDefault();
    fill(msg);
    for (const w of why.values()) fill(w);
    for (const el of inputs.values()) el.removeAttribute("aria-invalid");
    const args = {};
    for (const a of def.args) {
      try {
        const v = readArg(a, inputs.get(a.name));
        if (v !== undefined) args[a.name] = v;
      } catch (e) {
        refuse(a.name, e.message);
        return;
      }
    }
    try {
      const r = await api("POST", `/v1/definitions/${enc(name)}/runs`, { args });
      fill(msg, h("span.ok", "Started ", h("a", { href: `#/job/${enc(r.id)}` }, r.id), ` (version ${r.version}, ${r.joblets} joblets).`));
    } catch (e) {
      // The definition may have changed since it was read: show its rules as they are now.
      await refresh().catch(() => {});
      refuse(e.field, e.message);
    }
  }

  async function refresh() {
    const d = await api("GET", `/v1/definitions/${enc(name)}`);
    if (!def || d.version !== def.version) draw(d);
    def = d;
    fill(versions, h("table.versions", h("thead", h("tr", ["version", "deployed", "by", "file"].map((t) => h("th", t)))),
      h("tbody", (d.versions || []).slice().reverse().map((v) => h("tr", h("td", v.version), h("td", time(v.deployed_at)), h("td", v.owner), h("td", v.file))))));
  }
  return { refresh };
}
