// Jobs: a paged list, newest first, filtered by state, group, owner and name (the
// address keeps the filters: #/jobs?state=failed&group=g). New jobs appear as events say.
import { api, session } from "./api.js";
import { h, fill, badge, ago, STATES } from "./dom.js";
import { schedule } from "./app.js";
import { progress } from "./overview.js";

const PAGE = 50;

export function mount(main, [query]) {
  const params = new URLSearchParams(query || "");
  const cursors = [0];   // the cursor of each page seen, to go back
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
  const list = h("div");
  const pager = h("div.pager");
  const form = h("form.filters", { onsubmit: apply, onchange: apply }, state, group, owner, name,
    h("button", { type: "submit" }, "Filter"));
  fill(main, h("h1", "Jobs"), form, list, pager);

  function apply(ev) {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of [state, group, owner, name]) if (el.value) q.set(el.name, el.value);
    const s = q.toString();
    history.replaceState(null, "", s ? `#/jobs?${s}` : "#/jobs");
    cursors.length = 1;
    refresh().catch((e) => fill(list, h("p.refusal", e.message)));
  }

  async function refresh() {
    const q = new URLSearchParams({ order: "desc", limit: PAGE, cursor: cursors[cursors.length - 1] });
    for (const el of [state, group, owner, name]) if (el.value) q.set(el.name, el.value);
    const r = await api("GET", `/v1/jobs?${q}`);
    fill(list, r.jobs.length === 0 ? h("p.muted", "No jobs match.") :
      h("table.jobs", h("thead", h("tr", ["id", "name", "owner", "group", "state", "joblets", "created"].map((t) => h("th", t)))),
        h("tbody", r.jobs.map((j) => h("tr", { dataset: { id: j.id } },
          h("td", h("a", { href: `#/job/${encodeURIComponent(j.id)}` }, j.id)),
          h("td", j.name), h("td", j.owner), h("td", j.group), h("td", badge(j.state)),
          h("td.wide", progress(j.counts), h("span.muted", ` ${j.joblet_count}`)),
          h("td.muted", { title: j.created_at }, ago(j.created_at)))))));
    const page = cursors.length;
    fill(pager,
      page > 1 ? h("button", { onclick: () => { cursors.pop(); schedule(); } }, "← newer") : null,
      h("span.muted", ` page ${page}${r.more ? `, ${r.more} more` : ""} `),
      r.next_cursor ? h("button", { onclick: () => { cursors.push(Number(r.next_cursor)); schedule(); } }, "older →") : null);
  }

  // A new job shows on the first page; a changed one anywhere it is listed.
  return { refresh, onEvent: schedule };
}
