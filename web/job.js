// A job: its facts, its joblets as a grid coloured by state, the attempts of the chosen
// joblet, its output followed live, and the actions on it (cancel, retry, remove,
// priority), offered only when its state allows them. The server decides who may: a user
// sees and acts on their own jobs only.
import { api, enc, headers } from "./api.js";
import { h, fill, badge, time, mb, ms, STATES } from "./dom.js";
import { schedule, showError, frame } from "./app.js";

const FINAL = new Set(["done", "failed", "cancelled", "skipped"]);
const LOG_KEEP = 1 << 20;   // characters of output kept on screen: about the last MiB
const CELLS_MAX = 500;      // joblets drawn as buttons; a bigger job's grid is one canvas

// Each joblet's state (an index into STATES) from the job's joblet_ranges
// ({"done": "0-6,8", …}): the whole grid from one small reply, whatever the job's size.
export function statesOf(j) {
  const out = new Uint8Array(j.joblet_count);
  for (const [state, ranges] of Object.entries(j.joblet_ranges || {})) {
    const k = STATES.indexOf(state);
    for (const piece of ranges.split(",")) {
      const [a, b] = piece.split("-").map(Number);
      out.fill(k, a, (b === undefined ? a : b) + 1);
    }
  }
  return out;
}

// The canvas grid: square cells, as big as fit in about 24 rem of height (2 px at least).
function canvasGrid(onPick) {
  const canvas = h("canvas.grid-canvas", { role: "img" });
  let geo = null;   // {size, cols, states, chosen} of the last drawing
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    const i = Math.floor((ev.clientY - r.top) / geo.size) * geo.cols + Math.floor((ev.clientX - r.left) / geo.size);
    return i >= 0 && i < geo.states.length && ev.clientX - r.left < geo.cols * geo.size ? i : -1;
  };
  canvas.addEventListener("click", (ev) => { const i = at(ev); if (i >= 0) onPick(i); });
  canvas.addEventListener("mousemove", (ev) => {
    const i = at(ev);
    canvas.title = i >= 0 ? `joblet ${i}: ${STATES[geo.states[i]]}` : "";
  });
  function draw(states, chosen, width) {
    const n = states.length;
    const size = Math.max(2, Math.min(16, Math.floor(Math.sqrt((width * 380) / n))));
    const cols = Math.max(1, Math.floor(width / size));
    const rows = Math.ceil(n / cols);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = cols * size * dpr;
    canvas.height = rows * size * dpr;
    canvas.style.width = `${cols * size}px`;   // CSSOM: allowed by the CSP
    canvas.style.height = `${rows * size}px`;
    canvas.setAttribute("aria-label", `${n} joblets by state`);
    const g = canvas.getContext("2d");
    g.scale(dpr, dpr);
    const css = getComputedStyle(document.documentElement);
    const colours = STATES.map((s) => css.getPropertyValue(`--${s}`).trim());
    const gap = size >= 5 ? 1 : 0;
    // One rectangle per run of a state within a row.
    for (let i = 0; i < n;) {
      const k = states[i], row = Math.floor(i / cols), end = Math.min(n, (row + 1) * cols);
      let e = i + 1;
      while (e < end && states[e] === k) e++;
      g.fillStyle = colours[k];
      g.fillRect((i % cols) * size, row * size, (e - i) * size - gap, size - gap);
      if (gap) {
        g.fillStyle = "#f6f7f9";
        for (let x = i + 1; x < e; x++) g.fillRect((x % cols) * size - gap, row * size, gap, size);
      }
      i = e;
    }
    if (chosen < n) {   // a ring around the chosen cell, visible however small the cells
      const pad = size < 8 ? 4 : 0;
      g.strokeStyle = "#1d2430";
      g.lineWidth = 2;
      g.strokeRect((chosen % cols) * size + 1 - pad, Math.floor(chosen / cols) * size + 1 - pad,
        Math.max(size - 2, 2) + 2 * pad, Math.max(size - 2, 2) + 2 * pad);
    }
    geo = { size, cols, states, chosen };
  }
  return { canvas, draw };
}

function legend(j) {
  return h("div.grid-legend", STATES.filter((s) => (j.counts || {})[s]).map((s) =>
    h("span", h(`span.swatch.s-${s}`), `${s} ${j.counts[s]}`)));
}

function facts(j) {
  const rows = [
    ["owner", j.owner], ["group", j.group], ["state", badge(j.state)], ["priority", j.priority],
    ["command", h("code", j.cmd)], ["directory", j.cwd], ["created", time(j.created_at)],
    ["ended", time(j.ended_at)], ["cores", j.cores], ["RAM", mb(j.ram_mb)],
    ["time limit", j.time_limit_ms ? ms(j.time_limit_ms) : "none"], ["GPUs", j.gpus],
    ["retries", j.retries], ["limits", (j.limits || []).join(", ")],
  ];
  if (j.script) rows.push(["definition", `${j.script.definition} (version ${j.script.version})`]);
  return h("dl.facts", rows.filter(([, v]) => v !== "" && v !== undefined && v !== null)
    .map(([k, v]) => [h("dt", k), h("dd", v)]));
}

function attemptsTable(jl) {
  if (!jl) return h("p.muted", "No joblet.");
  const head = h("p", `joblet ${jl.index}: `, badge(jl.state), jl.reason ? h("span.muted", ` ${jl.reason}`) : null);
  if (!jl.attempts || jl.attempts.length === 0) return [head, h("p.muted", "No attempt yet.")];
  return [head, h("table.attempts",
    h("thead", h("tr", ["#", "node", "state", "start", "end", "exit", "fail reason", "peak RAM", "CPU", "wall", "message"].map((t) => h("th", t)))),
    h("tbody", jl.attempts.map((a) => h("tr",
      h("td", a.n), h("td", a.node), h("td", badge(a.state)), h("td", time(a.started_at)),
      h("td", time(a.ended_at)), h("td", a.exit_code === null ? "" : a.exit_code),
      h("td", a.state === "done" ? "" : a.fail_reason), h("td", mb(a.peak_ram_mb)),
      h("td", ms(a.cpu_ms)), h("td", ms(a.wall_ms)), h("td.msg", a.message || "")))))];
}

// Read the text at url into pre from the start (followed while the server goes on): each
// chunk appended as a node, the oldest dropped past LOG_KEEP, so nothing shown is copied;
// scrolled to the end while stick() says so. Returns {ctrl (abort to stop), live, ended}.
function pipeLog(pre, url, live, stick) {
  const me = { ctrl: new AbortController(), live, ended: false };
  pre.textContent = "";
  (async () => {
    let kept = 0;
    try {
      const r = await fetch(url, { headers: headers(), signal: me.ctrl.signal });
      if (!r.ok) throw new Error(`the output could not be read (HTTP ${r.status})`);
      const rd = r.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await rd.read();
        if (done) break;
        pre.append(value);
        kept += value.length;
        while (kept > LOG_KEEP && pre.firstChild !== pre.lastChild) {
          kept -= pre.firstChild.length;
          pre.firstChild.remove();
        }
        if (stick()) pre.scrollTop = pre.scrollHeight;
      }
    } catch (e) {
      if (e.name !== "AbortError") showError(e);
      return;
    }
    me.ended = true;
  })();
  return me;
}

export function mount(main, [id]) {
  const title = h("h1", "Job ", h("code", id));
  const actions = h("div.actions");
  const factsEl = h("section");
  const grid = h("div.grid");
  const attempts = h("section");
  const log = h("pre.log", { "aria-label": "output" });
  const follow = h("input", { type: "checkbox", checked: true });
  const only = h("input", { type: "checkbox", name: "only", onchange: () => readLog(isLive()) });
  const onlyLabel = h("span", "only joblet 0");
  const gridHead = h("h2", "Joblets");
  const gridLegend = h("div");
  const scriptEl = h("section");
  fill(main, title, actions, factsEl, scriptEl, gridHead, gridLegend, grid, attempts,
    h("h2", "Output ", h("label.muted.small", follow, " follow"), " ", h("label.muted.small", only, " ", onlyLabel)), log);
  let job = null;
  let chosen = 0;
  let reader = null;     // the log being read (pipeLog)
  let scriptReader = null;
  const scriptLog = h("pre.log.script", { "aria-label": "script output" });
  let gone = false;

  async function act(method, path, body, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    try {
      await api(method, path, body);
      if (method === "DELETE") {
        location.hash = "#/jobs";
        return;
      }
      schedule();
    } catch (e) {
      showError(e);
    }
  }

  function drawActions(j) {
    const states = new Set(Object.keys(j.joblet_ranges || {}));
    const open = !FINAL.has(j.state);
    const retryable = ["failed", "cancelled", "skipped"].some((s) => states.has(s));
    const waiting = states.has("waiting") || states.has("ready");
    const pri = h("input", { type: "number", name: "priority", value: j.priority, min: -1000000, max: 1000000 });
    fill(actions,
      open ? h("button.danger", { onclick: () => act("POST", `/v1/jobs/${enc(id)}/cancel`) }, "Cancel") : null,
      retryable ? h("button", { onclick: () => act("POST", `/v1/jobs/${enc(id)}/retry`) }, "Retry") : null,
      !states.has("running") && j.state !== "done"
        ? h("button.danger", { onclick: () => act("DELETE", `/v1/jobs/${enc(id)}`, undefined, `Remove job ${id}?`) }, "Remove") : null,
      waiting ? h("form.inline", { onsubmit: (ev) => { ev.preventDefault(); act("PATCH", `/v1/jobs/${enc(id)}`, { priority: Number(pri.value) }); } },
        h("label", "priority ", pri), h("button", { type: "submit" }, "Set")) : null);
  }

  function pick(i) {
    chosen = i;
    fill(onlyLabel, `only joblet ${chosen}`);
    if (only.checked) readLog(isLive());
    schedule();   // the chosen joblet's attempts
  }

  const big = canvasGrid(pick);
  function drawGrid(j) {
    const states = statesOf(j);
    if (states.length > CELLS_MAX) {
      if (big.canvas.parentNode !== grid) {
        fill(grid, big.canvas);
        performance.mark("job:grid");   // the first drawing, for the figures of the scale test
      }
      big.draw(states, chosen, Math.max(grid.clientWidth, 300));
      return;
    }
    fill(grid, Array.from(states, (k, i) => h(`button.cell.s-${STATES[k]}${i === chosen ? ".chosen" : ""}`, {
      title: `joblet ${i}: ${STATES[k]}`,
      "aria-label": `joblet ${i} ${STATES[k]}`,
      onclick: () => pick(i),
    }, states.length <= 200 ? i : "")));
  }

  // Read the output from the start: followed while the job runs (the server ends the reply
  // once the job is final and its last output is stored).
  function readLog(live) {
    if (reader) reader.ctrl.abort();
    const q = new URLSearchParams();
    if (live) q.set("follow", "1");
    if (only.checked) q.set("index", chosen);
    reader = pipeLog(log, `/v1/jobs/${enc(id)}/log?${q}`, live, () => follow.checked);
  }

  // The script's own output ([server] lines of its handlers), read again after a job.script
  // event once the job has ended (job_completed writes after the end).
  function readScript(live) {
    if (scriptReader) scriptReader.ctrl.abort();
    scriptReader = pipeLog(scriptLog, `/v1/jobs/${enc(id)}/log?index=server${live ? "&follow=1" : ""}`, live, () => true);
  }

  function drawScript(j) {
    scriptEl.hidden = !j.script;
    if (!j.script) return;
    const factRows = Object.entries(j.script.facts || {}).sort(([a], [b]) => a.localeCompare(b));
    fill(scriptEl, h("h2", "Script"),
      h("p.muted", `${j.script.definition} version ${j.script.version}; handlers: ${(j.script.handlers || []).join(", ") || "none"}`),
      factRows.length ? h("table.facts-table", h("thead", h("tr", h("th", "fact"), h("th", "value"))),
        h("tbody", factRows.map(([k, v]) => h("tr", h("td", h("code", k)), h("td", String(v)))))) : null,
      h("h3.small.muted", "handler output"), scriptLog);
  }

  const isLive = () => job !== null && !FINAL.has(job.state);

  // The job with the chosen joblet alone (its attempts): the grid comes from the ranges.
  async function refresh() {
    if (gone) return;
    let j;
    try {
      j = await api("GET", `/v1/jobs/${enc(id)}?joblets=${chosen}`);
    } catch (e) {
      if (e.status === 404) {
        fill(main, title, h("p.refusal", `No job ${id} (it may have been removed).`));
        gone = true;
        return;
      }
      throw e;
    }
    await frame();
    job = j;
    fill(title, "Job ", h("code", j.id), " ", badge(j.state), h("span.muted", ` ${j.name}`));
    drawActions(j);
    fill(factsEl, facts(j));
    fill(gridHead, "Joblets", h("span.muted.small", ` ${j.joblet_count}`));
    fill(gridLegend, j.joblet_count > CELLS_MAX ? legend(j) : null);
    drawGrid(j);
    fill(attempts, attemptsTable(j.joblets.find((x) => x.index === chosen)));
    drawScript(j);
    const live = !FINAL.has(j.state);
    // (Re)start a reader when there is none, it ended, or the job runs again after a retry.
    if (!reader || reader.ended || (live && !reader.live)) readLog(live);
    if (j.script && (!scriptReader || scriptReader.ended || (live && !scriptReader.live))) readScript(live);
  }

  return {
    refresh,
    onEvent: (e) => { if (job && e.seq === job.seq) schedule(); },
    unmount: () => {
      if (reader) reader.ctrl.abort();
      if (scriptReader) scriptReader.ctrl.abort();
    },
  };
}
