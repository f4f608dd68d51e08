// Overview: joblets by state, one progress bar per group with why its joblets wait, the
// throughput of the last hour (a uPlot chart), and the workers' resources in use. Read
// again as events arrive (job and worker events alike), at most once a second.
import uPlot from "./uPlot.esm.js";
import { api } from "./api.js";
import { h, fill, badge, mb, STATES } from "./dom.js";
import { schedule, frame } from "./app.js";

const FINAL = ["done", "failed", "cancelled", "skipped"];

// A bar of the group's joblets, one segment per state, in state order.
export function progress(counts) {
  const total = STATES.reduce((n, s) => n + (counts[s] || 0), 0);
  const bar = h("div.bar", { title: STATES.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(", ") });
  for (const s of STATES) {
    if (!counts[s]) continue;
    const seg = h(`span.seg.s-${s}`);
    seg.style.width = `${(100 * counts[s]) / total}%`;   // CSSOM: allowed by the CSP
    bar.append(seg);
  }
  return bar;
}

function countsTable(joblets, jobs) {
  return h("div.cards",
    h("div.card", h("div.num", jobs), h("div.muted", "jobs")),
    STATES.map((s) => h(`a.card.c-${s}`, { href: `#/jobs?state=${s}` },
      h("div.num", joblets[s] || 0), h("div", badge(s)))));
}

function groupRow(name, counts, reasons) {
  const total = STATES.reduce((n, s) => n + (counts[s] || 0), 0);
  const ended = FINAL.reduce((n, s) => n + (counts[s] || 0), 0);
  return h("tr",
    h("td", h("a", { href: `#/jobs?group=${encodeURIComponent(name)}` }, name || h("i", "(no group)"))),
    h("td.wide", progress(counts)),
    h("td.num", `${ended} / ${total}`),
    h("td.reasons", (reasons || []).map((r) => h("div", h("b", r.joblets), " ", r.reason))));
}

function use(used, total, unit) {
  const el = h("div.use", h("span", `${used} / ${total}${unit || ""}`));
  const bar = h("div.bar.thin");
  const seg = h("span.seg.s-running");
  seg.style.width = `${total ? Math.min(100, (100 * used) / total) : 0}%`;
  bar.append(seg);
  el.append(bar);
  return el;
}

export function workerResources(workers) {
  const sum = (f) => workers.reduce((n, w) => n + f(w), 0);
  return h("div.cards",
    h("div.card", h("div.num", workers.length), h("div.muted", "workers")),
    h("div.card.wide", h("div.muted", "cores in use"), use(sum((w) => w.used.cores), sum((w) => w.cores))),
    h("div.card.wide", h("div.muted", "RAM in use"), use(mb(sum((w) => w.used.ram_mb)), mb(sum((w) => w.ram_mb)))),
    h("div.card.wide", h("div.muted", "GPUs in use"), use(sum((w) => w.used.gpus), sum((w) => w.gpus))));
}

// The chart's data: x in seconds (uPlot's time scale), one series per count.
function chartData(tp) {
  const from = Date.parse(tp.from) / 1000;
  return [tp.started.map((_, i) => from + i * tp.interval_s), tp.started, tp.done, tp.failed];
}

function chart(el, tp) {
  const css = getComputedStyle(document.documentElement);
  const line = (label, color) => ({ label, stroke: css.getPropertyValue(color).trim(), width: 2, points: { show: false } });
  return new uPlot({
    width: Math.max(el.clientWidth - 20, 400),   // inside the section's padding
    height: 200,
    scales: { y: { range: (u, min, max) => [0, Math.max(Math.ceil(max * 1.15), 1)] } },   // headroom above the peak
    axes: [{}, { label: `joblets per ${tp.interval_s / 60} min` }],
    series: [{}, line("started", "--running"), line("done", "--done"), line("failed", "--failed")],
  }, chartData(tp), el);
}

export function mount(main) {
  const counts = h("section");
  const groups = h("section");
  const tpEl = h("section.chart");
  const res = h("section");
  let plot = null;
  fill(main, h("h1", "Overview"), counts, h("h2", "Groups"), groups,
    h("h2", "Throughput, last hour"), tpEl, h("h2", "Workers"), res);

  async function refresh() {
    const [stats, ws] = await Promise.all([api("GET", "/v1/stats?reasons=1&throughput=1"), api("GET", "/v1/workers")]);
    await frame();
    if (plot) plot.setData(chartData(stats.throughput));
    else plot = chart(tpEl, stats.throughput);
    fill(counts, countsTable(stats.joblets, stats.jobs),
      stats.draining ? h("p.warn", "The server is draining: it takes no new work.") : null);
    const names = Object.keys(stats.groups).sort();
    fill(groups, names.length === 0 ? h("p.muted", "No jobs yet.") :
      h("table.groups", h("thead", h("tr", h("th", "group"), h("th", "joblets by state"), h("th", "ended"), h("th", "why they wait"))),
        h("tbody", names.map((g) => groupRow(g, stats.groups[g], stats.waiting[g])))));
    fill(res, workerResources(ws.workers));
  }
  // The stats look at every waiting job: read at most once a second while events flow.
  return { refresh, onEvent: schedule, gap: 1000, unmount: () => { if (plot) plot.destroy(); } };
}
