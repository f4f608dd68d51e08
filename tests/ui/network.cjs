// The Job network page in a real browser: the graph has one node per member and one edge
// per dependency (compared with GET /v1/definitions and with examples/jobnet's README),
// the failure branch drawn apart; Pause shows the member paused on the graph at once and
// the API says so; the day's plan as a timeline follows the runs live (no reload) with
// their states and reasons; another day; the simulation lists the events of
// GET /v1/plan?simulate; no console error.
"use strict";
const fs = require("fs");
const { URL, T, launch, newPage, noErrors, shot, jg, waitFor, log, assert, run } = require("./browser.cjs");

const get = async (path) => {
  const r = await fetch(`${URL}${path}`);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
  return r.json();
};
const plan = (date) => JSON.parse(jg(["plan", "--json"].concat(date ? ["--date", date] : [])));
const runsOf = (p) => p.runs.map((r) => `${r.definition}=${r.state}`).sort();
// No run of the day is running but those named.
const settled = (...except) => plan().runs.every((r) => r.state !== "running" || except.includes(r.definition));

// The edges the definitions give, each once, as "from>to:kind", with the test's own reading
// of the API (not the page's code).
function expectedEdges(defs) {
  const members = new Set(defs.filter((d) => d.network).map((d) => d.name));
  const out = new Set();
  for (const d of defs.filter((x) => x.network)) {
    const add = (a, b, k) => { if (members.has(a) && members.has(b)) out.add(`${a}>${b}:${k}`); };
    d.network.predecessors.forEach((p) => add(p, d.name, "success"));
    d.network.successors.forEach((x) => add(d.name, x, "success"));
    d.network.successors_on_failure.forEach((x) => add(d.name, x, "failure"));
  }
  return [...out].sort();
}

const marks = (page) => page.locator("svg.timeline circle.mark").evaluateAll((cs) =>
  cs.map((c) => `${c.dataset.definition}=${c.dataset.state}`).sort());

run(async () => {
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await page.goto(`${URL}/#/network`);
    await page.locator("#live.on").waitFor();
    await page.locator("svg.net g.node").first().waitFor();

    log("the graph: one node per member, one edge per dependency");
    const defs = (await get("/v1/definitions")).definitions;
    const members = defs.filter((d) => d.network).map((d) => d.name).sort();
    assert(JSON.stringify(members) === JSON.stringify(["alert", "archive", "cleanup", "extract-customers",
      "extract-orders", "idle", "load", "probe", "report", "transform"]), `the API lists the 10 members: ${members}`);
    const nodes = await page.locator("svg.net g.node").evaluateAll((gs) => gs.map((g) => g.dataset.name).sort());
    assert(JSON.stringify(nodes) === JSON.stringify(members), `one node per member, loner not drawn: ${nodes}`);
    const edges = await page.locator("svg.net g.edge").evaluateAll((gs) =>
      gs.map((g) => `${g.dataset.from}>${g.dataset.to}:${g.dataset.kind}`).sort());
    const want = expectedEdges(defs);
    assert(JSON.stringify(edges) === JSON.stringify(want), `one edge per dependency: ${edges.join(" ")}`);
    // The README's drawing of examples/jobnet, by hand: 7 success edges, 1 failure branch.
    const readme = ["archive>cleanup:success", "extract-customers>transform:success", "extract-orders>transform:success",
      "load>report:success", "report>cleanup:success", "transform>alert:failure", "transform>archive:success", "transform>load:success"];
    assert(JSON.stringify(edges) === JSON.stringify(readme), "the edges are the README's");
    const fail = page.locator('svg.net g.edge[data-kind="failure"]');
    assert(await fail.locator("text").textContent() === "on failure", "the failure branch is labelled");
    const dash = await fail.locator("path").evaluate((p) => getComputedStyle(p).strokeDasharray);
    const solid = await page.locator('svg.net g.edge[data-kind="success"] path').first().evaluate((p) => getComputedStyle(p).strokeDasharray);
    assert(dash !== "none" && solid === "none", `the failure branch is dashed (${dash}), the others not`);
    assert(await page.locator('svg.net g.node[data-name="load"] text.sub').textContent() === "12:00 · timeslot",
      "a node shows its start times and timeslot");
    const preds = await page.locator('table.members tr[data-name="transform"] td:nth-child(3)').textContent();
    assert(preds === "extract-customers, extract-orders", `the table lists transform's predecessors, written as the extracts' successors: ${preds}`);
    noErrors(page, "the graph");

    log("the timeline of today (Monday): every run planned, as the API says");
    await page.locator("svg.timeline").waitFor();
    await waitFor("the timeline to show the API's runs", async () =>
      JSON.stringify(await marks(page)) === JSON.stringify(runsOf(plan())));
    assert((await marks(page)).every((m) => m.endsWith("=planned")), "before 06:00 every run is planned");
    assert(await page.locator("h2", { hasText: "of 2026-11-23 (today)" }).count() === 1, "the heading names the day");

    log("the clock moves to 07:50: runs end, probe runs, load waits; live, no reload");
    jg(["clock", "set", "2026-11-23T07:50:00Z"]);
    await waitFor("the runs to settle (probe held)", () => {
      const p = plan();
      return settled("probe") && p.runs.some((r) => r.definition === "probe" && r.state === "running") &&
        p.runs.some((r) => r.definition === "load" && r.state === "waiting");
    }, 60);
    await waitFor("the timeline to follow (no reload)", async () =>
      JSON.stringify(await marks(page)) === JSON.stringify(runsOf(plan())));
    const now = await marks(page);
    for (const m of ["extract-orders=done", "extract-customers=done", "transform=done", "load=waiting", "probe=running", "archive=done",
      "cleanup=skipped"])   // archive's success brought cleanup's 02:00 run forward; report had not run
      if (!now.includes(m)) throw new Error(`the timeline lacks ${m}: it shows ${now.join(" ")}`);
    assert(true, `the timeline shows ${now.join(" ")}`);
    await page.locator('svg.timeline circle.mark[data-definition="load"]').click();
    await page.locator("dl.facts.run dd", { hasText: "waiting for its timeslot (opens Mon 2026-11-23 10:00)" }).waitFor();
    assert(true, "a click on load's run shows its reason");
    const tip = await page.locator('svg.timeline circle.mark[data-definition="load"] title').textContent();
    assert(tip.includes("waiting for its timeslot"), `hovering shows the reason too: ${tip}`);
    await page.locator("svg.timeline g.now line").waitFor({ state: "attached" });   // a line has no area: "attached"
    await shot(page, "network");
    await page.locator('svg.timeline circle.mark[data-definition="probe"]').click();
    await page.locator("dl.facts.run .badge.m-running").waitFor();
    fs.writeFileSync(`${T}/go-probe`, "");
    await page.locator('svg.timeline circle.mark.m-done[data-definition="probe"]').waitFor();
    assert(true, "probe's run turned done on screen without a reload");
    await page.locator("dl.facts.run .badge.m-done").waitFor();
    const job = plan().runs.find((r) => r.definition === "probe").job;
    assert(await page.locator(`dl.facts.run dd a[href="#/job/${job}"]`).count() === 1 &&
      await page.locator("dl.facts.run dt", { hasText: "ended" }).count() === 1, `the run's facts follow it: done, ended, job ${job}`);

    log("the failure branch runs: transform fails, alert runs");
    jg(["run", "transform", "fail=1"]);
    await waitFor("alert's run", () => plan().runs.some((r) => r.definition === "alert" && r.state === "done") && settled(), 60);
    await page.locator('svg.timeline circle.mark.m-failed[data-definition="transform"]').waitFor();
    await page.locator('svg.timeline circle.mark.m-done[data-definition="alert"]').waitFor();
    await waitFor("the timeline to match the API", async () =>
      JSON.stringify(await marks(page)) === JSON.stringify(runsOf(plan())));

    log("a run skipped with no job (idle is paused) shows at once: the net.run event alone");
    assert(await page.locator('svg.timeline circle.mark.m-planned[data-definition="idle"]').count() === 1, "idle's 08:30 run is planned");
    jg(["clock", "set", "2026-11-23T09:00:00Z"]);
    await page.locator('svg.timeline circle.mark.m-skipped[data-definition="idle"]').waitFor();
    assert(plan().runs.find((r) => r.definition === "idle").reason === "definition is paused", "skipped: definition is paused");

    log("a move of the clock alone (no run changes) moves the now line: the clock.moved event");
    const nowX = () => page.locator("svg.timeline g.now line").getAttribute("x1");
    const before = { x: await nowX(), runs: JSON.stringify(plan().runs.map((r) => [r.id, r.state])) };
    jg(["clock", "advance", "5m"]);
    await waitFor("the now line to move", async () => (await nowX()) !== before.x);
    assert(JSON.stringify(plan().runs.map((r) => [r.id, r.state])) === before.runs,
      "no run changed on the way: the event of the move alone redrew it");

    log("a run that started away from its plan is drawn at its start: load, once its timeslot opens");
    jg(["clock", "set", "2026-11-23T10:30:00Z"]);
    await waitFor("load's run to start", () => plan().runs.some((r) => r.definition === "load" && r.started_at));
    const load = plan().runs.find((r) => r.definition === "load" && r.started_at);
    assert(load.started_at !== load.planned_at, `load was planned at ${load.planned_at} and started at ${load.started_at}`);
    const mark = page.locator(`svg.timeline circle.mark[data-id="${load.id}"]`);
    await waitFor("load's mark at its start", async () => (await mark.getAttribute("data-at")) === String(Date.parse(load.started_at)));
    assert((await mark.locator("title").textContent()).includes("started"), "its tip says when it started");
    noErrors(page, "the timeline");

    log("Pause: the graph shows archive paused at once, the API agrees; Resume");
    const paused = await page.locator("svg.net g.node.paused").evaluateAll((gs) => gs.map((g) => g.dataset.name));
    assert(JSON.stringify(paused) === '["idle"]', "idle alone is paused, as deployed");
    await page.click('button[data-act="pause"][data-name="archive"]');
    await page.locator('svg.net g.node.paused[data-name="archive"]').waitFor();
    assert(await page.locator('svg.net g.node[data-name="archive"] text.sub').textContent() === "paused · no start time",
      "the node says paused");
    assert((await get("/v1/definitions/archive")).network.paused === true, "the API says archive is paused");
    assert(await page.locator('table.members tr[data-name="archive"] .badge.paused').count() === 1, "the table says paused");
    await shot(page, "network-paused");
    await page.click('button[data-act="resume"][data-name="archive"]');
    await page.locator('svg.net g.node[data-name="archive"]:not(.paused)').waitFor();
    assert((await get("/v1/definitions/archive")).network.paused === false, "resumed, the API says so");
    await page.click('button[data-act="pause"][data-name="archive"]');
    await page.locator('svg.net g.node.paused[data-name="archive"]').waitFor();
    noErrors(page, "pause and resume");

    log("the simulation lists what GET /v1/plan?simulate gives");
    await page.fill("input[name=days]", "2");
    await page.click("button:has-text('Simulate')");
    const sim = JSON.parse(jg(["plan", "--simulate", "2", "--json"]));
    assert(sim.events.length > 0, `the simulation has ${sim.events.length} events`);
    await waitFor("the simulation's rows", async () => (await page.locator("table.sim tbody tr").count()) === sim.events.length);
    const rows = await page.locator("table.sim tbody tr").evaluateAll((trs) => trs.map((tr) => `${tr.dataset.definition}:${tr.dataset.event}`));
    assert(JSON.stringify(rows) === JSON.stringify(sim.events.map((e) => `${e.definition}:${e.event}`)), "the same events in the same order");
    assert(!rows.includes("archive:start"), "paused archive does not start in the simulation");
    await page.fill("input[name=days]", "400");
    await page.click("button:has-text('Simulate')");
    await page.locator(".refusal", { hasText: "days: a whole number from 1 to 366" }).waitFor();
    assert(true, "a bad number of days is refused, naming the field");
    await shot(page, "network-simulation");
    noErrors(page, "the simulation");

    log("another day: Sunday's cleanup run at Monday 02:00 was skipped");
    await page.fill("input[name=date]", "2026-11-22");
    await page.click("button:has-text('Show')");
    await page.locator("h2", { hasText: "of 2026-11-22" }).waitFor();
    assert(page.url().includes("date=2026-11-22"), "the address keeps the day");
    await waitFor("Sunday's runs", async () => JSON.stringify(await marks(page)) === JSON.stringify(runsOf(plan("2026-11-22"))));
    assert((await marks(page)).includes("cleanup=skipped"), "cleanup's run shows skipped");
    await page.click("button:has-text('Today')");
    await page.locator("h2", { hasText: "(today)" }).waitFor();
    noErrors(page, "another day");
  } finally {
    await browser.close();
  }
});
