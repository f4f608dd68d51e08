// Jobs: every job that matches the filters (state, group, owner, name; the address keeps
// them: #/jobs?state=failed&group=g), newest first, in one scrolling list of which only
// the rows in view are in the DOM, read from GET /v1/jobs page by page as the list scrolls.
//
// The list is a snapshot: the jobs before cursor `top` (the newest when it was taken),
// `total` of them. A row's place is exact: a page read from cursor C says how many match
// after it (`more`), so its first row is row total - (rows + more). Scrolling on from a
// page uses the cursor its last row gives; a jump far away guesses the cursor from the
// seqs of the rows around (seqs fall as rows go down) and lands within a read or two.
// While the view is at the top, new jobs appear in it; further down, a button says how
// many are newer, and the rows in view are read again as events come.
import { api, session } from "./api.js";
import { h, fill, badge, ago, STATES } from "./dom.js";
import { schedule, frame } from "./app.js";
import { progress } from "./overview.js";

const PAGE = 100;        // rows a read asks for, beyond those in view
const ROW_H = 34;        // px: style.css's table.vtable row height
const OVERSCAN = 8;      // rows drawn above and below the view
const KEEP_ROWS = 3000;  // rows kept in memory around the view; others are read again
const COLS = ["id", "name", "owner", "group", "state", "joblets", "created"];

// What a row shows of a job summary (the rest is not kept).
function compact(j) {
  return { id: j.id, seq: j.seq, name: j.name, owner: j.owner, group: j.group, state: j.state,
    counts: j.counts, n: j.joblet_count, created: j.created_at };
}

function rowEl(j) {
  return h("tr", { dataset: { id: j.id } },
    h("td", h("a", { href: `#/job/${encodeURIComponent(j.id)}` }, j.id)),
    h("td", { title: j.name }, j.name), h("td", j.owner), h("td", j.group), h("td", badge(j.state)),
    h("td.wide", progress(j.counts), h("span.muted", ` ${j.n}`)),
    h("td.muted", { title: j.created }, ago(j.created)));
}

export function mount(main, [query]) {
  const params = new URLSearchParams(query || "");
  const state = h("select", { name: "state" }, h("option", { value: "" }, "any state"),
    STATES.map((s) => h("option", { value: s }, s)));
  const group = h("input", { name: "group", placeholder: "group" });
  const owner = h("input", { name: "owner", placeholder: "owner" });
  const name = h("input", { name: "name", placeholder: "name contains" });
  state.value = params.get("state") || "";
  group.value = params.get("group") || "";
  owner.value = params.get("owner") || "";
  name.value = params.get("name") || "";
  if (!session.admin) owner.hidden = true;   // a user lists their own jobs only
  const form = h("form.filters", { onsubmit: apply, onchange: apply }, state, group, owner, name,
    h("button", { type: "submit" }, "Filter"));
  const newer = h("button.newer", { hidden: true, onclick: () => { view.scrollTop = 0; schedule(); } });
  const count = h("span.muted");
  const padTop = h("td", { colspan: COLS.length });
  const padEnd = h("td", { colspan: COLS.length });
  const body = h("tbody");
  const view = h("div.vlist", { onscroll: () => requestDraw() },
    h("table.jobs.vtable", h("thead", h("tr", COLS.map((t) => h(`th.c-${t}`, t)))),
      h("tbody", h("tr.pad", padTop)), body, h("tbody", h("tr.pad", padEnd))));
  const empty = h("p.muted", { hidden: true }, "No jobs match.");
  fill(main, h("div.listhead", h("h1", "Jobs"), count, newer), form, empty, view);

  // The snapshot: {top, total, chunks: [{from, rows}]}; null until the first read.
  let snap = null;
  let reading = false;    // a read of missing rows is under way
  let stuck = "";         // the range whose missing rows the last reads could not find
  let drawQueued = false;
  let firstRows = false;  // the first rows were drawn (marked for the figures)
  const made = new WeakMap();   // job summary → its row element, freed with the summary

  function filters(q) {
    for (const el of [state, group, owner, name]) if (el.value) q.set(el.name, el.value);
    return q;
  }

  // limit rows before cursor (0 = the newest): {rows, more, next}.
  async function list(cursor, limit) {
    const q = filters(new URLSearchParams({ order: "desc", limit: Math.max(1, Math.min(limit, 10000)), cursor }));
    const r = await api("GET", `/v1/jobs?${q}`);
    return { rows: r.jobs.map(compact), more: r.more };
  }

  function apply(ev) {
    ev.preventDefault();
    const s = filters(new URLSearchParams()).toString();
    history.replaceState(null, "", s ? `#/jobs?${s}` : "#/jobs");
    snap = null;
    view.scrollTop = 0;
    refresh().catch((e) => fill(body, h("tr", h("td.refusal", { colspan: COLS.length }, e.message))));
  }

  function range() {
    const first = Math.floor(view.scrollTop / ROW_H);
    const shown = Math.ceil(view.clientHeight / ROW_H) + 1;
    return [Math.max(0, first - OVERSCAN), Math.min(snap.total, first + shown + OVERSCAN)];
  }

  function rowAt(i) {
    for (const c of snap.chunks) if (i >= c.from && i < c.from + c.rows.length) return c.rows[i - c.from];
    return undefined;
  }

  // Keep rows read at [from, …): the newest read wins where it overlaps; far chunks go.
  function keep(from, rows) {
    if (rows.length === 0) return;
    const to = from + rows.length;
    const [a, b] = range();
    snap.chunks = [{ from, rows }, ...snap.chunks.filter((c) => {
      const end = c.from + c.rows.length;
      if (c.from >= from && end <= to) return false;                        // covered
      return end > a - KEEP_ROWS / 2 && c.from < b + KEEP_ROWS / 2;         // near the view
    })];
  }

  // Where to read from for row i: the cursor just after the row above when it is known,
  // else one guessed from the seqs of the nearest known rows (a cursor is a seq: the
  // jobs before it).
  function cursorFor(i) {
    let lo = { i: -1, seq: snap.top || Number.MAX_SAFE_INTEGER };
    let hi = { i: snap.total, seq: 0 };
    for (const c of snap.chunks) {
      const last = c.from + c.rows.length - 1;
      if (last < i && last > lo.i) lo = { i: last, seq: c.rows[c.rows.length - 1].seq };
      if (c.from > i && c.from < hi.i) hi = { i: c.from, seq: c.rows[0].seq };
    }
    if (lo.i === i - 1) return lo.seq === Number.MAX_SAFE_INTEGER ? 0 : lo.seq;
    if (lo.seq === Number.MAX_SAFE_INTEGER) return 0;
    const seq = lo.seq - ((i - lo.i) * (lo.seq - hi.seq)) / (hi.i - lo.i);
    return Math.max(1, Math.ceil(seq) + 1);
  }

  // The first row in view that is not read, or -1.
  function firstMissing() {
    const [a, b] = range();
    for (let m = a; m < b; m++) if (rowAt(m) === undefined) return m;
    return -1;
  }

  // Read the rows in view that are missing, a few reads at most (a jump's guess narrows).
  // Rows that are not there (jobs removed since the snapshot) are not asked for again
  // until the view moves or events come.
  async function readMissing() {
    if (reading || !snap || stuck === range().join()) return;
    reading = true;
    const mine = snap;
    try {
      for (let tries = 0; tries < 6; tries++) {
        const m = firstMissing();
        if (m < 0) break;
        const [, b] = range();
        const r = await list(cursorFor(m), b - m + PAGE);
        if (snap !== mine) return;   // the filters changed meanwhile
        keep(snap.total - r.rows.length - r.more, r.rows);
      }
      if (firstMissing() >= 0) stuck = range().join();
    } finally {
      reading = false;
    }
    requestDraw();
  }

  // A row's element, made once per job summary read: scrolling moves the rows still in
  // view and makes only those that come into it.
  function rowOf(j) {
    let tr = made.get(j);
    if (!tr) {
      tr = rowEl(j);
      made.set(j, tr);
    }
    return tr;
  }

  function requestDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      draw();
    });
  }

  function draw() {
    if (!snap) return;
    const [a, b] = range();
    padTop.style.height = `${a * ROW_H}px`;   // CSSOM: allowed by the CSP
    padEnd.style.height = `${(snap.total - b) * ROW_H}px`;
    padTop.parentElement.hidden = a === 0;
    padEnd.parentElement.hidden = b === snap.total;
    const rows = [];
    let missing = false;
    for (let i = a; i < b; i++) {
      const j = rowAt(i);
      if (j) rows.push(rowOf(j));
      else {
        missing = true;
        rows.push(h("tr.pending", h("td.muted", { colspan: COLS.length }, "…")));
      }
    }
    body.replaceChildren(...rows);
    empty.hidden = snap.total > 0;
    view.hidden = snap.total === 0;
    fill(count, ` ${snap.total} job${snap.total === 1 ? "" : "s"}`);
    if (!firstRows && rows.length && !missing) {
      firstRows = true;
      performance.mark("jobs:first-rows");
    }
    if (missing) readMissing();
  }

  // On events (batched by app.js): at the top, a new snapshot with the newest jobs; further
  // down, how many jobs are newer, and the rows in view read again.
  async function refresh() {
    stuck = "";
    if (!snap || view.scrollTop < ROW_H) {
      const shown = snap ? range()[1] : Math.ceil(window.innerHeight / ROW_H) + OVERSCAN;
      const r = await list(0, shown + PAGE);
      await frame();
      snap = { top: r.rows.length ? r.rows[0].seq + 1 : 0, total: r.rows.length + r.more, chunks: [] };
      keep(0, r.rows);
      newer.hidden = true;
    } else {
      const [a, b] = range();
      const mine = snap;
      const [head, rows] = await Promise.all([list(0, 1), list(cursorFor(a), b - a)]);
      await frame();
      if (snap !== mine) return;
      keep(snap.total - rows.rows.length - rows.more, rows.rows);
      const n = head.rows.length + head.more - snap.total;
      newer.hidden = n <= 0;
      fill(newer, `${n} newer job${n === 1 ? "" : "s"} ↑`);
    }
    draw();
  }

  return { refresh, onEvent: schedule };
}
