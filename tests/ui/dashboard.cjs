// The dashboard in a real browser, without authentication: every page loads with no
// console error; a job added with the CLI appears on the Jobs page without a reload; a
// running job's output grows on its page; Cancel on the job page cancels it (the CLI
// says so); the Overview and Workers pages show the workers' resources, and a worker that
// joins or leaves without a reload; a script run's output and facts on its job page.
"use strict";
const fs = require("fs");
const { URL, T, launch, newPage, noErrors, shot, jg, waitFor, log, assert, run } = require("./browser.cjs");

const hold = (name) => `while [ ! -e '${T}/${name}' ]; do sleep 0.05; done`;
const state = (id) => JSON.parse(jg(["show", id, "--json"])).state;

run(async () => {
  const browser = await launch();
  try {
    const page = await newPage(browser);

    log("Overview: counts, groups and workers, live");
    const held = jg(["add", "--name", "held", "--group", "ui-g", "--", "sh", "-c", hold("go-held")]);
    await page.goto(`${URL}/`);
    await page.locator("#live.on").waitFor();
    await page.locator("h1", { hasText: "Overview" }).waitFor();
    await page.locator("table.groups td a", { hasText: "ui-g" }).waitFor();
    await page.locator(".card .muted", { hasText: "cores in use" }).waitFor();
    await waitFor("the held job to run", () => state(held) === "running");
    await waitFor("the overview to show it running (no reload)",
      async () => (await page.locator(".card.c-running .num").textContent()).trim() === "1");
    await shot(page, "overview");
    noErrors(page, "overview");

    log("Jobs: a job added with the CLI appears without a reload");
    await page.click("#nav a[data-page=jobs]");
    await page.locator("table.jobs").waitFor();
    const fresh = jg(["add", "--name", "appears-live", "--", "true"]);
    await page.locator(`table.jobs tr[data-id="${fresh}"]`).waitFor();
    await page.locator(`table.jobs tr[data-id="${fresh}"] .badge.s-done`).waitFor();
    assert(true, `job ${fresh} appeared and turned done on the open list`);
    log("the filters: by name and by state");
    await page.fill("input[name=name]", "appears");
    await page.press("input[name=name]", "Enter");
    await waitFor("the name filter", async () => (await page.locator("table.jobs tr[data-id]").count()) === 1);
    assert(page.url().includes("name=appears"), "the address keeps the filter");
    await page.fill("input[name=name]", "");
    await page.selectOption("select[name=state]", "running");
    await waitFor("the state filter", async () => {
      const ids = await page.locator("table.jobs tr[data-id]").evaluateAll((rows) => rows.map((r) => r.dataset.id));
      return ids.length === 1 && ids[0] === held;
    });
    await page.selectOption("select[name=state]", "");
    await page.locator(`table.jobs tr[data-id="${fresh}"]`).waitFor();
    await shot(page, "jobs");
    noErrors(page, "jobs");

    log("Job: the output of a running job grows on screen");
    const talker = jg(["add", "--name", "talker", "--", "sh", "-c",
      `echo first-line; ${hold("go1")}; echo second-line; ${hold("go2")}; echo third-line`]);
    await page.click(`table.jobs a[href="#/job/${talker}"]`).catch(async () => {
      await page.goto(`${URL}/#/job/${encodeURIComponent(talker)}`);
    });
    await page.locator("pre.log", { hasText: "first-line" }).waitFor();
    const before = await page.locator("pre.log").textContent();
    assert(!before.includes("second-line"), "only the first line is there before go1");
    fs.writeFileSync(`${T}/go1`, "");
    await page.locator("pre.log", { hasText: "second-line" }).waitFor();
    assert(/\[[^\]]+\] first-line\n\[[^\]]+\] second-line/.test(await page.locator("pre.log").textContent()),
      "the log grew in place, each line with its [node] prefix");
    await page.locator(".grid .cell.s-running").first().waitFor();
    await page.locator("table.attempts td", { hasText: "running" }).first().waitFor();
    await shot(page, "job");
    fs.writeFileSync(`${T}/go2`, "");
    await page.locator("pre.log", { hasText: "third-line" }).waitFor();
    await page.locator("h1 .badge.s-done").waitFor();
    assert(true, "the job ended on screen: done, with its last line");
    noErrors(page, "job");

    log("Job: the output of one joblet");
    const parts = jg(["add", "--name", "parts", "--joblets", "3", "--", "sh", "-c", "echo part-$JOBGRID_JOBLET"]);
    jg(["wait", parts, "--timeout", "30s"]);
    await page.goto(`${URL}/#/job/${encodeURIComponent(parts)}`);
    await page.locator("pre.log", { hasText: "part-2" }).waitFor();
    await page.click(".grid .cell[aria-label^='joblet 1 ']");
    await page.check("input[name=only]");
    await waitFor("only joblet 1's output", async () => {
      const t = await page.locator("pre.log").textContent();
      return t.includes("part-1") && !t.includes("part-0") && !t.includes("part-2");
    });
    assert(true, "the output of the chosen joblet alone");
    noErrors(page, "one joblet's output");

    log("Job: a script run's output and facts, live");
    const chunks = jg(["run", "chunks", "items=2", "chunk=1", `command=sh -c 'while [ ! -e ${T}/go-chunks ]; do sleep 0.05; done' x`]);
    await page.goto(`${URL}/#/job/${encodeURIComponent(chunks)}`);
    const script = page.locator("pre.log.script");
    await page.locator("pre.log.script", { hasText: "[server] job_started: 2 items in 2 chunks" }).waitFor();
    assert(!(await script.textContent()).includes("job_completed"), "job_started's output is shown, job_completed's not yet");
    await page.locator("table.facts-table td", { hasText: "chunks.total" }).waitFor();
    fs.writeFileSync(`${T}/go-chunks`, "");
    await page.locator("pre.log.script", { hasText: "[server] job_completed: done: 2 of 2 chunks done" }).waitFor();
    await page.locator("table.facts-table tr", { hasText: "chunks.done" }).locator("td", { hasText: /^2$/ }).waitFor();
    assert(true, "job_completed's output (written after the job ended) and the facts appeared without a reload");
    const showed = JSON.parse(jg(["show", chunks, "--json"])).script.facts["chunks.done"];
    assert(String(showed) === "2", `the facts are those jobgrid show gives (chunks.done ${showed})`);
    const onlyServer = (await script.textContent()).split("\n").filter((l) => l);
    assert(onlyServer.every((l) => l.startsWith("[server] ")), "the script output holds the [server] lines alone");
    await shot(page, "job-script");
    noErrors(page, "script output");

    log("Job: Cancel cancels it in the store");
    await page.goto(`${URL}/#/job/${encodeURIComponent(held)}`);
    await page.locator("h1 .badge.s-running").waitFor();
    await page.click("button:text-is('Cancel')");
    await waitFor("the CLI to show the held job cancelled", () => state(held) === "cancelled");
    await page.locator("h1 .badge.s-cancelled").waitFor();
    assert(true, "cancelled from the page, as the CLI shows");
    await page.locator("button:text-is('Retry')").waitFor();
    await shot(page, "job-cancelled");
    noErrors(page, "job cancel");

    log("Workers: each node with its resources");
    await page.click("#nav a[data-page=workers]");
    await page.locator("table.workers tbody tr").first().waitFor();
    const n = await page.locator("table.workers tbody tr").count();
    assert(n === Number(process.env.UI_WORKERS), `${n} workers listed`);
    await page.locator("button:text-is('Drain server')").waitFor();   // trusted: an admin
    await shot(page, "workers");
    noErrors(page, "workers");

    log("Workers: one joins, it appears without a reload; it stops, it goes");
    const workerCard = () => page.locator(".card:has(.muted:text-is('workers')) .num").textContent();
    fs.writeFileSync(`${T}/worker-start-request`, "");
    await page.locator('table.workers tr[data-name="ui-c"]').waitFor();
    await waitFor("the workers card to count 3", async () => (await workerCard()).trim() === "3");
    assert(true, "worker ui-c appeared on the open Workers page (worker.joined)");
    await page.click("#nav a[data-page=overview]");
    await waitFor("the overview's workers card to count 3", async () => (await workerCard()).trim() === "3");
    fs.writeFileSync(`${T}/worker-stop-request`, "");
    await waitFor("the overview's workers card to count 2", async () => (await workerCard()).trim() === "2");
    assert(true, "the Overview counted ui-c's leaving without a reload (worker.left)");
    await page.click("#nav a[data-page=workers]");
    await page.locator("table.workers tbody tr").first().waitFor();
    assert(await page.locator('table.workers tr[data-name="ui-c"]').count() === 0, "ui-c is gone from the Workers page");
    fs.writeFileSync(`${T}/worker-start-request`, "");
    await page.locator('table.workers tr[data-name="ui-c"]').waitFor();
    fs.writeFileSync(`${T}/worker-stop-request`, "");
    await page.locator('table.workers tr[data-name="ui-c"]').waitFor({ state: "detached" });
    assert(true, "and on the open Workers page: it appeared, then went, without a reload");
    noErrors(page, "workers joining and leaving");

    const cookies = await page.context().cookies();
    assert(cookies.length === 0, "no cookie was set");

    log("Definitions: the list, the arguments, the run form");
    await page.click("#nav a[data-page=definitions]");
    await page.click("table.defs a:text-is('sim')");
    await page.locator("table.args tr[data-arg=steps]").waitFor();
    assert(await page.locator("table.args tbody tr").count() === 2, "both arguments are in the form");
    const jobsBefore = JSON.parse(jg(["list", "--all", "--json"])).jobs.length;
    await page.fill("input[name=steps]", "500");
    await page.click("form.run button[type=submit]");
    await page.locator("#why-steps", { hasText: "steps: must be at most 100" }).waitFor();
    assert(await page.locator("input[name=steps][aria-invalid=true]").count() === 1, "the form refuses 500, naming steps");
    await page.fill("input[name=steps]", "2.5");
    await page.click("form.run button[type=submit]");
    await page.locator("#why-steps", { hasText: "whole number" }).waitFor();
    fs.writeFileSync(`${T}/redeploy-request`, "");
    await waitFor("the new version of sim", () => fs.existsSync(`${T}/redeployed`), 30);
    await page.fill("input[name=steps]", "50");
    await page.click("form.run button[type=submit]");
    await page.locator("#why-steps", { hasText: "steps: must be at most 10" }).waitFor();
    assert(true, "the server's refusal of 50 (version 2 allows 10) is shown at steps");
    await page.locator("tr[data-arg=steps] td.rule", { hasText: "≤ 10" }).waitFor();
    assert(await page.inputValue("input[name=steps]") === "50", "the form shows version 2's rule, keeping the value typed");
    assert(JSON.parse(jg(["list", "--all", "--json"])).jobs.length === jobsBefore, "nothing was started");
    await page.fill("input[name=steps]", "7");
    await page.selectOption("select[name=mode]", "slow");
    await page.click("form.run button[type=submit]");
    const runLink = page.locator("form.run .ok a");
    await runLink.waitFor();
    const runId = (await runLink.textContent()).trim();
    jg(["wait", runId, "--timeout", "30s"]);
    assert(jg(["log", runId]).includes("steps 7 mode slow"), `the run ${runId} ran with the values given`);
    await shot(page, "definition");
    noErrors(page, "definitions", /Failed to load resource: the server responded with a status of 422/);

    log("the event stream's parser, in the browser: chunks cut anywhere, CRLF, comments, ids");
    const parsed = await page.evaluate(async () => {
      const { SseParser } = await import("/ui/sse.js");
      const text = ": jobgrid events\r\n\r\nid: 5-0\n\nid: 5-1\r\nevent: job.ended\ndata: {\"a\":\n" +
        "data: 1}\n\n: keep-alive\nid: 5-2\n\ndata: x\r\rdata:y\n\n";
      const out = [];
      for (const cut of [1, 2, 3, 7, 1000]) {
        const got = [];
        const p = new SseParser((m) => got.push(m));
        for (let i = 0; i < text.length; i += cut) p.push(text.slice(i, i + cut));
        out.push(JSON.stringify(got));
      }
      return out;
    });
    const want = JSON.stringify([
      { event: "message", data: null, id: "5-0" },
      { event: "job.ended", data: '{"a":\n1}', id: "5-1" },
      { event: "message", data: null, id: "5-2" },
      { event: "message", data: "x", id: null },
      { event: "message", data: "y", id: null },
    ]);
    for (const got of parsed) if (got !== want) throw new Error(`the SSE parser gave ${got}, not ${want}`);
    assert(true, "every cut parses alike");

    log("the server restarts: the stream resumes with Last-Event-ID and goes on");
    const resumes = [];
    page.on("request", (r) => {
      if (r.url().includes("/v1/events") && r.headers()["last-event-id"]) resumes.push(r.headers()["last-event-id"]);
    });
    await page.click("#nav a[data-page=jobs]");
    await page.locator("table.jobs").waitFor();
    fs.writeFileSync(`${T}/restart-request`, "");
    await waitFor("the server to restart", () => fs.existsSync(`${T}/restarted`), 90);
    await waitFor("the stream to reconnect with Last-Event-ID", () => resumes.length > 0, 30);
    assert(/^[1-9][0-9]*-[0-9]+$/.test(resumes[0]), `it sent Last-Event-ID: ${resumes[0]}`);
    await page.locator("#live.on").waitFor();
    const after = jg(["add", "--name", "after-restart", "--", "true"]);
    await page.locator(`table.jobs tr[data-id="${after}"]`).waitFor();
    assert(true, `a job added after the restart (${after}) appears without a reload`);
    noErrors(page, "the restart", /Failed to load resource|ERR_|network error|Failed to fetch/);

    log("Overview of a busier grid: failures, a group waiting for what no worker has");
    jg(["add", "--name", "broken", "--group", "nightly", "--", "sh", "-c", "exit 3"]);
    jg(["add", "--name", "huge", "--group", "nightly", "--cores", "64", "--", "true"]);
    jg(["add", "--name", "sweep", "--group", "sweep", "--joblets", "12", "--", "true"]);
    await page.click("#nav a[data-page=overview]");
    await page.locator("td.reasons", { hasText: "64 cores" }).waitFor();
    await page.locator(".card.c-failed .num", { hasText: "1" }).waitFor();
    await waitFor("the sweep to end", async () => (await page.locator("table.groups tr", { hasText: "sweep" }).textContent()).includes("12 / 12"));
    await page.locator(".chart .uplot canvas").waitFor();
    const legend = await page.locator(".chart .u-legend").textContent();
    assert(/started/.test(legend) && /done/.test(legend) && /failed/.test(legend), "the throughput chart has its three series");
    await shot(page, "overview-busy");
    noErrors(page, "the busy overview");
  } finally {
    await browser.close();
  }
});
