// Workers: each node, its tags and resources in use, its running joblets, its last
// heartbeat and lease state; for admins, draining the server.
import { api, session } from "./api.js";
import { h, fill, ago, mb } from "./dom.js";
import { schedule, showError, frame } from "./app.js";
import { workerResources } from "./overview.js";

function tags(t) {
  return Object.entries(t || {}).map(([k, v]) => h("span.tag", `${k}=${v}`));
}

function row(w) {
  return h("tr", { dataset: { name: w.name } },
    h("td", h("b", w.name), h("div.muted.small", w.id)),
    h("td", h(`span.badge.w-${w.state}`, w.state)),
    h("td", tags(w.tags)),
    h("td", `${w.used.cores} / ${w.cores}`),
    h("td", `${mb(w.used.ram_mb)} / ${mb(w.ram_mb)}`),
    h("td", `${w.used.gpus} / ${w.gpus}`),
    h("td", (w.running || []).map((r) => h("div", h("a", { href: `#/job/${encodeURIComponent(r.replace(/\/\d+$/, ""))}` }, r)))),
    h("td", { title: w.last_seen }, ago(w.last_seen)));
}

export function mount(main) {
  const admin = h("div.actions");
  const sum = h("section");
  const list = h("section");
  fill(main, h("h1", "Workers"), admin, sum, list);

  async function refresh() {
    const [r, stats] = await Promise.all([api("GET", "/v1/workers"), api("GET", "/v1/stats")]);
    await frame();
    fill(admin, session.admin && !stats.draining ? h("button.danger", {
      onclick: async () => {
        if (!window.confirm("Drain the server? It takes no new work and exits once nothing runs.")) return;
        try { await api("POST", "/v1/drain"); schedule(); } catch (e) { showError(e); }
      },
    }, "Drain server") : null, stats.draining ? h("p.warn", "The server is draining.") : null);
    fill(sum, workerResources(r.workers));
    fill(list, r.workers.length === 0 ? h("p.muted", "No worker is registered.") :
      h("table.workers", h("thead", h("tr", ["node", "lease", "tags", "cores", "RAM", "GPUs", "running", "last heartbeat"].map((t) => h("th", t)))),
        h("tbody", r.workers.map(row))));
  }
  // Workers joining and leaving (worker.joined, worker.left), and dispatches and returns
  // (what each worker runs).
  return { refresh, onEvent: (e) => { if (/^(joblet|worker)\./.test(e.event)) schedule(); } };
}
