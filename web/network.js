// Job network (#/network?date=YYYY-MM-DD): the deployed network as a graph (dagre lays it
// out, drawn here as SVG), a day's plan as a timeline that follows the event stream, the
// simulation of the next days, and pause/resume per member for admins.
import { api, enc, session } from "./api.js";
import { h, fill, time } from "./dom.js";
import { schedule, showError } from "./app.js";
import { s, textWidth, fit } from "./svg.js";
import dagre from "./dagre.esm.js";

const NAME_FONT = "600 13px system-ui, sans-serif";     // as .net .node .name in style.css
const SUB_FONT = "12px system-ui, sans-serif";          // as .net .sub and .net .edge text
const PAUSED_FONT = "600 12px system-ui, sans-serif";   // as .net .node.paused .sub
const MARK_R = 7;
const NODE_TEXT_MAX = 260;                               // px: a box's lines are cut (full in the tip)
const LANE_LABEL_MAX = 220;                              // px: longer names are cut (full in the tip)
const NODE_H = 44;
const RUN_STATES = ["planned", "waiting", "running", "done", "failed", "skipped"];
const FAIL_LABEL = "on failure";

// The members of GET /v1/definitions's list and each edge once: "a successors: [b]" and
// "b predecessors: [a]" are one edge a → b. Edges to a definition that is not deployed
// (left dangling by an undeploy) are kept apart in dangling, as "a → b" texts.
export function network(defs) {
  const members = defs.filter((d) => d.network);
  const names = new Set(members.map((d) => d.name));
  const edges = new Map();
  const dangling = new Set();
  const add = (from, to, kind) => {
    if (!names.has(from) || !names.has(to)) dangling.add(`${from} → ${to}${kind === "failure" ? ` (${FAIL_LABEL})` : ""}`);
    else edges.set(JSON.stringify([from, to, kind]), { from, to, kind });
  };
  for (const d of members) {
    for (const p of d.network.predecessors) add(p, d.name, "success");
    for (const x of d.network.successors) add(d.name, x, "success");
    for (const x of d.network.successors_on_failure) add(d.name, x, "failure");
  }
  return { members, edges: [...edges.values()], dangling: [...dangling] };
}

// The second line of a member's box: paused, its start times, its timeslot.
function subtitle(n) {
  const parts = [];
  if (n.paused) parts.push("paused");
  parts.push(n.start_times.length ? n.start_times.join(", ") : "no start time");
  if (n.timeslot) parts.push("timeslot");
  return parts.join(" · ");
}

// dagre's layout, left to right: each node's centre, each edge's points (and its label's
// place for failure edges).
function layout(net) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 90, edgesep: 20, marginx: 16, marginy: 16 });
  for (const d of net.members) {
    const subFont = d.network.paused ? PAUSED_FONT : SUB_FONT;
    const label = fit(d.name, NAME_FONT, NODE_TEXT_MAX), sub = fit(subtitle(d.network), subFont, NODE_TEXT_MAX);
    const w = Math.max(textWidth(label, NAME_FONT), textWidth(sub, subFont));
    g.setNode(d.name, { width: Math.ceil(w) + 28, height: NODE_H, def: d, label, sub });
  }
  for (const e of net.edges) {
    const label = e.kind === "failure" ? { width: Math.ceil(textWidth(FAIL_LABEL, SUB_FONT)) + 8, height: 16, labelpos: "c" } : {};
    g.setEdge(e.from, e.to, Object.assign({ e }, label), e.kind);
  }
  dagre.layout(g);
  return g;
}

// A smooth path through dagre's points: straight ends, curved bends.
function pathOf(points) {
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i], q = points[i + 1];
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function arrowHead(id) {
  return s("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
    s(`path.head.${id}`, { d: "M0,0 L10,5 L0,10 z" }));
}

function edgeEl(g, id) {
  const a = g.edge(id);
  const { from, to, kind } = a.e;
  const fail = kind === "failure";
  return s(`g.edge.${fail ? "e-failure" : "e-success"}`, { dataset: { from, to, kind } },
    s("title", fail ? `${from} → ${to}: started when ${from} fails` : `${from} → ${to}: ${to} waits for ${from}, and ${from}'s success starts it`),
    s("path", { d: pathOf(a.points), "marker-end": `url(#${fail ? "arrow-failure" : "arrow-success"})` }),
    fail ? [s("rect.label", { x: a.x - a.width / 2, y: a.y - a.height / 2, width: a.width, height: a.height, rx: 3 }),
      s("text", { x: a.x, y: a.y + 4, "text-anchor": "middle" }, FAIL_LABEL)] : null);
}

function nodeEl(g, name) {
  const n = g.node(name);
  const net = n.def.network;
  const tip = [`${name}${net.paused ? " (paused)" : ""}`, n.def.description,
    net.start_times.length ? `start times: ${net.start_times.join(", ")}` : "no start time: started by a predecessor or by hand",
    net.timeslot ? "runs only in its timeslot" : null].filter(Boolean).join("\n");
  return s("a", { href: `#/definition/${enc(name)}` },
    s(`g.node${net.paused ? ".paused" : ""}`, { transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})`, dataset: { name, paused: String(net.paused) } },
      s("title", tip),
      s("rect", { width: n.width, height: n.height, rx: 6 }),
      s("text.name", { x: 14, y: 18 }, n.label),
      s("text.sub", { x: 14, y: 35 }, n.sub)));
}

function drawGraph(net) {
  if (net.members.length === 0) return h("p.muted", "No job network is deployed: no definition has a start time, a timeslot, predecessors or successors.");
  const g = layout(net);
  const { width, height } = g.graph();
  return h("div.netgraph",
    s("svg.net", { width: Math.ceil(width), height: Math.ceil(height), viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, role: "img",
      "aria-label": `the job network: ${net.members.length} members, ${net.edges.length} dependencies` },
    s("defs", arrowHead("arrow-success"), arrowHead("arrow-failure")),
    g.edges().map((id) => edgeEl(g, id)),
    g.nodes().map((name) => nodeEl(g, name))),
    h("p.legend.small",
      s("svg", { width: 36, height: 10 }, s("line.e-success", { x1: 0, y1: 5, x2: 36, y2: 5 })), " dependency (success) ",
      s("svg", { width: 36, height: 10 }, s("line.e-failure", { x1: 0, y1: 5, x2: 36, y2: 5 })), " failure branch ",
      s("svg", { width: 24, height: 12 }, s("rect.paused-key", { x: 1, y: 1, width: 22, height: 10, rx: 2 })), " paused member"),
    net.dangling.length ? h("p.warn.small", `Edges to definitions no longer deployed (not drawn): ${net.dangling.join(", ")}`) : null);
}

// The members' table: facts, the edges whichever side wrote them, and Pause/Resume for
// admins (the server refuses users anyway).
function membersTable(net, act) {
  const cols = ["member", "start times", "predecessors", "successors", "on failure", "state"];
  if (session.admin) cols.push("");
  const ends = (name, side, kind) => net.edges.filter((e) => e[side === "to" ? "from" : "to"] === name && e.kind === kind)
    .map((e) => e[side]).join(", ");
  return h("table.members", h("thead", h("tr", cols.map((c) => h("th", c)))),
    h("tbody", net.members.map((d) => {
      const n = d.network;
      return h("tr", { dataset: { name: d.name } },
        h("td", h("a", { href: `#/definition/${enc(d.name)}` }, d.name)),
        h("td", n.start_times.join(", ") || h("span.muted", "none"), n.timeslot ? h("div.muted.small", "with a timeslot") : null),
        h("td", ends(d.name, "from", "success")), h("td", ends(d.name, "to", "success")), h("td", ends(d.name, "to", "failure")),
        h("td", n.paused ? h("span.badge.paused", "paused") : h("span.badge.active", "active")),
        session.admin ? h("td", h("button", { dataset: { act: n.paused ? "resume" : "pause", name: d.name }, onclick: () => act(d.name, !n.paused) },
          n.paused ? "Resume" : "Pause")) : null);
    })));
}

// ---- the timeline of a day's plan ----

function ticks(t0, t1) {
  const span = (t1 - t0) / 3600000;
  const step = span <= 12 ? 1 : span <= 30 ? 2 : span <= 60 ? 4 : 12;
  const out = [];
  const d = new Date(t0);
  d.setMinutes(0, 0, 0);
  if (d.getTime() < t0) d.setHours(d.getHours() + 1);
  while (d.getHours() % step) d.setHours(d.getHours() + 1);
  for (; d.getTime() <= t1; d.setHours(d.getHours() + step)) out.push(d.getTime());
  return out;
}

function hhmm(t) {
  const d = new Date(t);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return d.getHours() === 0 ? `${d.toLocaleDateString([], { weekday: "short" })} ${hm}` : hm;
}

// The lanes: every member, then definitions of the day's runs that are members no more;
// ordered by their first run of the day, members without one last, by name.
function lanesOf(runs, members) {
  const first = new Map();
  for (const r of runs) if (!first.has(r.definition)) first.set(r.definition, runAt(r));
  const names = new Set([...members.map((d) => d.name), ...first.keys()]);
  return [...names].sort((a, b) => (first.get(a) ?? Infinity) - (first.get(b) ?? Infinity) || a.localeCompare(b));
}

// When a run happened: its start when it started (a run started by hand or after a wait
// starts away from its plan), else when it is planned.
const runAt = (r) => Date.parse(r.started_at || r.planned_at);

function runTip(r) {
  const started = r.started_at && r.started_at !== r.planned_at ? `, started ${time(r.started_at)}` : "";
  return `${r.definition} at ${time(r.planned_at)}${started}: ${r.state}, ${r.reason}`;
}

// Each run's x: at runAt, moved right just enough not to cover the mark before it in its
// lane (two runs made at the same instant stay two marks; the tip has the time).
function placeMarks(runs, x) {
  const lastX = new Map();
  return runs.map((r) => {
    const want = x(runAt(r));
    const prev = lastX.get(r.definition);
    const at = prev === undefined ? want : Math.max(want, prev + 2 * MARK_R + 2);
    lastX.set(r.definition, at);
    return at;
  });
}

function drawTimeline(plan, members, now, width, pick) {
  const runs = plan.runs;
  const lanes = lanesOf(runs, members);
  const at = runs.map(runAt);
  const t0 = at.reduce((a, t) => Math.min(a, t), Date.parse(plan.from));
  const t1 = at.reduce((a, t) => Math.max(a, t), Date.parse(plan.to));
  const LABEL = Math.ceil(lanes.reduce((a, n) => Math.max(a, Math.min(textWidth(n, SUB_FONT), LANE_LABEL_MAX)), 80)) + 16;
  const TOP = 26, LANE = 30, RIGHT = 24;
  const W = Math.max(width, LABEL + 400);
  const H = TOP + lanes.length * LANE + 6;
  const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * (W - LABEL - RIGHT);
  const laneY = (name) => TOP + lanes.indexOf(name) * LANE + LANE / 2;
  return s("svg.timeline", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `the plan of ${plan.date}: ${runs.length} runs` },
    lanes.map((name, i) => s("g.lane", { dataset: { name } },
      s("rect", { x: 0, y: TOP + i * LANE, width: W, height: LANE, class: i % 2 ? "odd" : "even" }),
      s("text.lanename", { x: 8, y: TOP + i * LANE + LANE / 2 + 4 }, s("title", name), fit(name, SUB_FONT, LANE_LABEL_MAX)))),
    ticks(t0, t1).map((t) => s("g.tick", s("line", { x1: x(t), y1: TOP - 4, x2: x(t), y2: H }),
      s("text", { x: x(t), y: TOP - 9, "text-anchor": "middle" }, hhmm(t)))),
    now >= t0 && now <= t1 ? s("g.now", s("title", `now (the server's clock): ${time(now)}`),
      s("line", { x1: x(now), y1: TOP - 4, x2: x(now), y2: H })) : null,
    placeMarks(runs, x).map((cx, i) => [cx, runs[i]]).map(([cx, r]) => s(`circle.mark.m-${r.state}`, {
      cx, cy: laneY(r.definition), r: MARK_R, tabindex: 0, role: "button",
      "aria-label": runTip(r), dataset: { definition: r.definition, state: r.state, id: r.id, at: runAt(r) },
      onclick: () => pick(r), onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") pick(r); },
    }, s("title", runTip(r)))));
}

function stateKey() {
  return h("p.legend.small", RUN_STATES.map((st) => [s("svg", { width: 14, height: 14 }, s(`circle.mark.m-${st}`, { cx: 7, cy: 7, r: 5 })), ` ${st} `]),
    s("svg.key", { width: 10, height: 14 }, s("g.now", s("line", { x1: 5, y1: 0, x2: 5, y2: 14 }))), " now, by the server's clock");
}

function runFacts(r) {
  if (!r) return h("p.muted.small", "Click a run for its reason.");
  const dl = (k, v) => (v === null || v === undefined || v === "" ? null : [h("dt", k), h("dd", v)]);
  return h("dl.facts.run", dl("definition", h("a", { href: `#/definition/${enc(r.definition)}` }, r.definition)),
    dl("planned", time(r.planned_at)), dl("state", h(`span.badge.m-${r.state}`, r.state)), dl("reason", r.reason),
    dl("origin", r.origin), dl("job", r.job ? h("a", { href: `#/job/${r.job}` }, String(r.job)) : null),
    dl("started", time(r.started_at)), dl("ended", time(r.ended_at)));
}

// ---- the simulation ----

function simulationTable(sim) {
  const from = h("p.muted.small", `From ${time(sim.from)} (the server's clock).`);
  if (sim.events.length === 0) return [from, h("p.muted", "Nothing would happen in these days.")];
  return [from, h("table.sim", h("thead", h("tr", ["at", "event", "definition", "reason"].map((c) => h("th", c)))),
    h("tbody", sim.events.map((e) => h("tr", { dataset: { event: e.event, definition: e.definition } },
      h("td.num", time(e.at)), h("td", h(`span.badge.v-${e.event}`, e.event)), h("td", e.definition), h("td", e.reason))))),
  sim.truncated ? h("p.warn.small", "The simulation stopped early: too many events. Fewer days show all.") : null];
}

// ---- the page ----

export function mount(main, [query]) {
  const params = new URLSearchParams(query || "");
  const date = params.get("date") || "";           // "" = today by the server's clock
  const graph = h("section");
  const members = h("section");
  const picker = h("input", { type: "date", name: "date", value: date, "aria-label": "the day the plan shows" });
  const dayHead = h("span.muted");
  const timeline = h("div.timeline-box");
  const facts = h("section", runFacts(null));
  const days = h("input", { type: "number", name: "days", min: 1, max: 366, step: 1, value: "2", "aria-label": "days to simulate" });
  const simMsg = h("span.refusal", { role: "alert" });
  const sim = h("section");
  let net = null;            // the members and edges drawn
  let drawn = "";            // the members as last drawn (JSON): redraw the graph on a change only
  let shown = "";            // the clock and the runs' states as last drawn (JSON)
  let picked = null;         // the run whose facts are shown

  const go = (d) => { location.hash = d ? `#/network?date=${enc(d)}` : "#/network"; };
  fill(main, h("h1", "Job network"), graph, members,
    h("h2", "Plan ", dayHead),
    h("form.filters", { onsubmit: (ev) => { ev.preventDefault(); go(picker.value); } }, picker,
      h("button", { type: "submit" }, "Show"), h("button", { type: "button", onclick: () => go("") }, "Today")),
    stateKey(), timeline, facts,
    h("h2", "Simulation"),
    h("form.filters", { novalidate: true, onsubmit: (ev) => { ev.preventDefault(); simulate().catch(showError); } },
      h("label", "the next ", days, " days, as if every run succeeded after a minute "), h("button", { type: "submit" }, "Simulate"), simMsg),
    sim);

  async function act(name, pause) {
    try {
      await api("POST", `/v1/definitions/${enc(name)}/${pause ? "pause" : "resume"}`);
      await Promise.all([drawDefs(), simulate()]);   // the graph shows it at once
    } catch (e) { showError(e); }
  }

  async function drawDefs() {
    const r = await api("GET", "/v1/definitions");
    const json = JSON.stringify(r.definitions.filter((d) => d.network));
    if (json === drawn) return;
    drawn = json;
    net = network(r.definitions);
    fill(graph, drawGraph(net));
    fill(members, net.members.length ? membersTable(net, act) : null);
  }

  // The facts of run r; after a redraw, of the same run as it is now.
  function pick(r) {
    picked = r;
    fill(facts, runFacts(r));
  }
  const same = (a, b) => a.definition === b.definition && (a.id ? a.id === b.id : a.planned_at === b.planned_at);

  async function drawPlan() {
    const [plan, clock] = await Promise.all([api("GET", `/v1/plan${date ? `?date=${enc(date)}` : ""}`), api("GET", "/v1/clock")]);
    fill(dayHead, `of ${plan.date}${date ? "" : " (today)"}`);
    if (!picker.value || document.activeElement !== picker) picker.value = plan.date;
    // Unchanged (an event of a job that is no run): nothing to redraw. Changed: the
    // simulation, which starts from the server's now and its runs, is out of date too.
    const width = timeline.clientWidth || main.clientWidth || 1100;
    const key = JSON.stringify([clock.now, width, drawn, plan.runs.map((r) => [r.id, r.state, r.job])]);
    if (key === shown) return;
    shown = key;
    simulate().catch(showError);
    fill(timeline, drawTimeline(plan, net ? net.members : [], Date.parse(clock.now), width, pick),
      plan.runs.length ? null : h("p.muted.small", "No run is planned for this day."));
    if (picked) pick(plan.runs.find((r) => same(r, picked)) || null);
  }

  async function simulate() {
    fill(simMsg);
    const n = days.value.trim();
    if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > 366) {
      fill(simMsg, "days: a whole number from 1 to 366");
      days.setAttribute("aria-invalid", "true");
      fill(sim);   // what was shown was for another number of days
      return;
    }
    days.removeAttribute("aria-invalid");
    const r = await api("GET", `/v1/plan?simulate=${n}`);
    fill(sim, simulationTable(r));
  }

  async function refresh() {
    await drawDefs();
    await drawPlan();
  }

  return {
    refresh,
    // Each change of a run (planned, started, waiting, skipped, ended) is a net.run event,
    // and a move of a test clock (the "now" line, today's date) a clock.moved one: read the
    // plan again, batched. Other jobs' events change nothing here.
    onEvent: (e) => { if (e.event === "net.run" || e.event === "clock.moved") schedule(); },
  };
}
