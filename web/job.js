// A job: its facts, its joblets as a grid coloured by state, the attempts of the chosen
// joblet, its output followed live, and the actions on it (cancel, retry, remove,
// priority), offered only when its state allows them. The server decides who may: a user
// sees and acts on their own jobs only.
import { api, enc, headers } from "./api.js";
import { h, fill, badge, time, mb, ms } from "./dom.js";
import { schedule, showError } from "./app.js";

const FINAL = new Set(["done", "failed", "cancelled", "skipped"]);
const LOG_KEEP = 1 << 20;   // characters of output kept on screen: about the last MiB
const GRID_MAX = 5000;      // joblets drawn as cells; a bigger job shows its first ones

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
  fill(main, title, actions, factsEl, h("h2", "Joblets"), grid, attempts,
    h("h2", "Output ", h("label.muted.small", follow, " follow"), " ", h("label.muted.small", only, " ", onlyLabel)), log);
  let job = null;
  let chosen = 0;
  let reader = null;     // the log being read: {ctrl, live}
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
    const states = new Set(j.joblets.map((x) => x.state));
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

  function drawGrid(j) {
    const shown = j.joblets.length > GRID_MAX ? j.joblets.slice(0, GRID_MAX) : j.joblets;
    fill(grid, j.joblets.length > GRID_MAX ? h("p.muted", `The first ${GRID_MAX} of ${j.joblets.length} joblets.`) : null,
      shown.map((x) => h(`button.cell.s-${x.state}${x.index === chosen ? ".chosen" : ""}`, {
      title: `joblet ${x.index}: ${x.state}${x.reason ? ` (${x.reason})` : ""}`,
      "aria-label": `joblet ${x.index} ${x.state}`,
      onclick: () => {
        chosen = x.index;
        drawGrid(j);
        fill(attempts, attemptsTable(j.joblets[chosen]));
        fill(onlyLabel, `only joblet ${chosen}`);
        if (only.checked) readLog(isLive());
      },
    }, j.joblets.length <= 200 ? x.index : "")));
  }

  // Read the output from the start: followed while the job runs (the server ends the reply
  // once the job is final and its last output is stored).
  async function readLog(live) {
    if (reader) reader.ctrl.abort();
    const me = { ctrl: new AbortController(), live };
    reader = me;
    log.textContent = "";
    let kept = 0;
    try {
      const q = new URLSearchParams();
      if (live) q.set("follow", "1");
      if (only.checked) q.set("index", chosen);
      const r = await fetch(`/v1/jobs/${enc(id)}/log?${q}`, { headers: headers(), signal: me.ctrl.signal });
      if (!r.ok) throw new Error(`the output could not be read (HTTP ${r.status})`);
      const rd = r.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await rd.read();
        if (done) break;
        // Appended as a node, the oldest dropped past LOG_KEEP: no copy of what is shown.
        log.append(value);
        kept += value.length;
        while (kept > LOG_KEEP && log.firstChild !== log.lastChild) {
          kept -= log.firstChild.length;
          log.firstChild.remove();
        }
        if (follow.checked) log.scrollTop = log.scrollHeight;
      }
    } catch (e) {
      if (e.name !== "AbortError") showError(e);
      return;
    }
    if (reader === me) reader = null;
  }

  const isLive = () => job !== null && !FINAL.has(job.state);

  async function refresh() {
    if (gone) return;
    let j;
    try {
      j = await api("GET", `/v1/jobs/${enc(id)}`);
    } catch (e) {
      if (e.status === 404) {
        fill(main, title, h("p.refusal", `No job ${id} (it may have been removed).`));
        gone = true;
        return;
      }
      throw e;
    }
    job = j;
    fill(title, "Job ", h("code", j.id), " ", badge(j.state), h("span.muted", ` ${j.name}`));
    drawActions(j);
    fill(factsEl, facts(j));
    if (chosen >= j.joblets.length) chosen = 0;
    drawGrid(j);
    fill(attempts, attemptsTable(j.joblets[chosen]));
    const live = !FINAL.has(j.state);
    // (Re)start the reader when there is none, or the job runs again after a retry.
    if (!reader || (live && !reader.live)) readLog(live);
  }

  return {
    refresh,
    onEvent: (e) => { if (job && e.seq === job.seq) schedule(); },
    unmount: () => { if (reader) reader.ctrl.abort(); },
  };
}
