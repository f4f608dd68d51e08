// The dashboard at scale: 10^5 jobs held queued (constraint pool=parked, which no worker
// has) and one job of 10^5 joblets, while a load generator adds 4 `true` jobs every 100 ms
// for the one worker (pool=live): each job makes 5 events (submitted, started, dispatched,
// returned, ended), about 200 a second. Measured in the page and PRINTED (never asserted):
// the time to the Jobs page's first rows, frame times (requestAnimationFrame deltas) and
// long tasks (PerformanceObserver 'longtask') while scrolling and while idle under load,
// the DOM's node count and the JS heap. Asserted: rows appear, the rows in the DOM stay
// few, a jump lands on the right rows, the counts reach the store's totals, and a 10^5-
// joblet job's grid is drawn (a canvas) and answers a click.
"use strict";
const { URL, launch, newPage, noErrors, shot, waitFor, log, assert, run } = require("./browser.cjs");

const BULK = 100000;        // jobs held queued
const BATCH = 10000;        // jobs a POST adds
const JOBLETS = 100000;     // joblets of the big job
const PER_TICK = 4;         // load jobs added every 100 ms: 40 a second, 200 events
const EVENTS_PER_S = 200;   // the load's aim
const ROWS_MAX = 80;        // rows the Jobs list may hold in the DOM (view + overscan)

const figures = [];
function figure(name, value) {
  figures.push(`${name}: ${value}`);
  log(`FIGURE ${name}: ${value}`);
}

async function call(method, path, body) {
  const r = await fetch(`${URL}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

// The load: PER_TICK jobs every 100 ms, and a stream of its own counting the events.
function loadGenerator() {
  const g = { added: 0, events: 0, failures: 0, lastError: "" };
  const ctrl = new AbortController();
  (async () => {
    const r = await fetch(`${URL}/v1/events`, { signal: ctrl.signal });
    const rd = r.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await rd.read();
      if (done) return;
      g.events += (value.match(/^event: /gm) || []).length;
    }
  })().catch(() => {});
  const job = { cmd: "true", name: "load", group: "load", constraints: { pool: "live" } };
  const t0 = Date.now();
  let busy = false;
  const tick = setInterval(async () => {
    if (busy) return;   // the server is behind: no pile-up of requests
    busy = true;
    // PER_TICK jobs, more when the events seen fall behind 200 a second (a slow tick).
    const behind = Math.floor(((Date.now() - t0) / 1000 * EVENTS_PER_S - g.events) / 5);
    const n = Math.max(PER_TICK, Math.min(behind, 50));
    try {
      g.added += (await call("POST", "/v1/jobs", Array(n).fill(job))).ids.length;
    } catch (e) {
      g.failures++;
      g.lastError = e.message;
    } finally {
      busy = false;
    }
  }, 100);
  // Stops adding; resolves once the add under way (if any) is answered and counted.
  g.stop = () => {
    clearInterval(tick);
    ctrl.abort();
    return waitFor("the last add of the load", () => !busy);
  };
  return g;
}

// rAF deltas for ms (or while step(n) returns true), long tasks meanwhile, the most rows
// seen in the Jobs list's DOM. Runs in the page.
function frames(page, what) {
  return page.evaluate(async (what) => {
    const long = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
    obs.observe({ type: "longtask" });
    const view = document.querySelector(".vlist");
    const deltas = [];
    let maxRows = 0;
    await new Promise((done) => {
      let n = 0, last = 0;
      const t0 = performance.now();
      function step(t) {
        if (last) deltas.push(t - last);
        last = t;
        maxRows = Math.max(maxRows, document.querySelectorAll(".vlist tbody tr:not(.pad)").length);
        n++;
        if (what === "scroll") {
          if (n === 120) view.scrollTop = view.scrollHeight / 2;     // a jump to the middle
          else if (n === 240) view.scrollTop = view.scrollHeight;    // and to the end
          else if (n < 240) view.scrollTop += 400;                   // else a fast wheel
        }
        if (what === "scroll" ? n < 300 : performance.now() - t0 < 5000) requestAnimationFrame(step);
        else done();
      }
      requestAnimationFrame(step);
    });
    obs.disconnect();
    deltas.sort((a, b) => a - b);
    const q = (p) => deltas[Math.min(deltas.length - 1, Math.floor(p * deltas.length))];
    return { frames: deltas.length, median: q(0.5), p95: q(0.95), max: deltas[deltas.length - 1],
      longTasks: long.length, longest: long.length ? Math.max(...long) : 0, maxRows };
  }, what);
}

const fmt = (f) => `${f.frames} frames, median ${f.median.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, ` +
  `max ${f.max.toFixed(1)} ms; ${f.longTasks} long tasks (longest ${f.longest.toFixed(0)} ms)`;

function memory(page) {
  return page.evaluate(() => ({
    nodes: document.getElementsByTagName("*").length,
    heapMB: performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1048576) : -1,
  }));
}

// The number a card of the Overview shows (its label: "jobs", or a state).
async function card(page, label) {
  const sel = label === "jobs" ? ".card:has(.muted:text-is('jobs')) .num" : `.card.c-${label} .num`;
  return Number((await page.locator(sel).textContent()).trim());
}

run(async () => {
  let t = Date.now();
  const parked = { cmd: "true", name: "bulk", group: "bulk", constraints: { pool: "parked" } };
  for (let n = 0; n < BULK; n += BATCH) await call("POST", "/v1/jobs", Array(BATCH).fill(parked));
  const big = (await call("POST", "/v1/jobs", { cmd: "true", name: "big", group: "bulk", joblets: JOBLETS,
    constraints: { pool: "parked" } })).ids[0];
  figure("store loaded", `${BULK} jobs in batches of ${BATCH} and a job of ${JOBLETS} joblets in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const browser = await launch(["--enable-precise-memory-info"]);
  const load = loadGenerator();
  try {
    const page = await newPage(browser);
    page.setDefaultTimeout(60000);

    log("Jobs: the first rows, then scrolling through 10^5 jobs under load");
    const e0 = load.events;
    t = Date.now();
    await page.goto(`${URL}/#/jobs`);
    await page.locator(".vlist tr[data-id]").first().waitFor();
    const first = await page.evaluate(() => performance.getEntriesByName("jobs:first-rows")[0]?.startTime);
    assert(first > 0, "the Jobs page drew its first rows");
    figure("Jobs page, time to first rows", `${Math.round(first)} ms after navigation start`);
    const rate = ((load.events - e0) * 1000) / (Date.now() - t);
    figure("events during the first load", `${rate.toFixed(0)} a second`);
    const before = await memory(page);
    figure("Jobs page at the top", `${before.nodes} DOM nodes, JS heap ${before.heapMB} MB`);

    const e1 = load.events, t1 = Date.now();
    const scroll = await frames(page, "scroll");
    figure("Jobs page, scrolling (300 frames: 400 px a frame, a jump to the middle, one to the end)", fmt(scroll));
    figure("events while scrolling", `${(((load.events - e1) * 1000) / (Date.now() - t1)).toFixed(0)} a second`);
    assert(scroll.maxRows <= ROWS_MAX, `at most ${scroll.maxRows} rows were in the DOM at once (bound ${ROWS_MAX})`);
    await waitFor("the rows at the end", async () => (await page.locator(".vlist tr.pending").count()) === 0 &&
      (await page.locator(".vlist tr[data-id]").count()) > 0);
    const lastId = await page.locator(".vlist tr[data-id]").last().getAttribute("data-id");
    assert(/\.1$/.test(lastId), `the last row after the jump to the end is the oldest job (${lastId})`);
    const after = await memory(page);
    figure("Jobs page after scrolling", `${after.nodes} DOM nodes, JS heap ${after.heapMB} MB`);
    await page.locator("button.newer").waitFor();
    assert(true, "scrolled down, the list says how many jobs are newer instead of moving");
    await shot(page, "jobs-scale");

    log("the middle of the list: a jump lands on contiguous rows");
    await page.evaluate(() => { const v = document.querySelector(".vlist"); v.scrollTop = v.scrollHeight / 2; });
    const seqs = await waitFor("the rows in the middle", async () => {
      const got = await page.locator(".vlist tbody tr:not(.pad)").evaluateAll((rows) =>
        rows.map((r) => (r.dataset.id ? Number(r.dataset.id.split(".").pop()) : 0)));
      return got.length > 10 && !got.includes(0) && got[0] < BULK && got[got.length - 1] > 1000 ? got : null;
    });
    assert(seqs.every((s, i) => i === 0 || s === seqs[i - 1] - 1),
      `the rows in the middle are contiguous, newest first (${seqs[0]}…${seqs[seqs.length - 1]})`);
    noErrors(page, "jobs at scale");

    log("Overview under load: frames while events flow");
    await page.click("#nav a[data-page=overview]");
    await page.locator(".chart .uplot canvas").waitFor();
    const idle = await frames(page, "idle");
    figure("Overview under load (5 s)", fmt(idle));
    const ov = await memory(page);
    figure("Overview", `${ov.nodes} DOM nodes, JS heap ${ov.heapMB} MB`);

    log("the big job: its grid on a canvas");
    await page.goto("about:blank");
    await page.goto(`${URL}/#/job/${encodeURIComponent(big)}`);
    await page.locator("canvas.grid-canvas").waitFor();
    await page.locator(".grid-legend").waitFor();
    const grid = await page.evaluate(() => performance.getEntriesByName("job:grid")[0]?.startTime);
    figure(`job page of ${JOBLETS} joblets, time to its grid`, `${Math.round(grid)} ms after navigation start`);
    const legend = await page.locator(".grid-legend").textContent();
    const inLegend = [...legend.matchAll(/(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    assert(inLegend === JOBLETS, `the legend counts ${inLegend} joblets`);
    const box = await page.locator("canvas.grid-canvas").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const title = await page.locator("canvas.grid-canvas").getAttribute("title");
    const picked = Number(/^joblet (\d+): /.exec(title)[1]);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator("section p", { hasText: `joblet ${picked}:` }).waitFor();
    assert(picked > 0, `a click on the grid shows joblet ${picked}, read from the server`);
    const bigMem = await memory(page);
    assert(bigMem.nodes < 2000, `the job page holds ${bigMem.nodes} DOM nodes, not one a joblet`);
    figure(`job page of ${JOBLETS} joblets`, `${bigMem.nodes} DOM nodes, JS heap ${bigMem.heapMB} MB`);
    await shot(page, "job-big");
    noErrors(page, "the big job");

    log("the load stops: the Overview's counts reach the store's totals");
    await page.goto(`${URL}/#/`);
    await page.locator(".chart .uplot canvas").waitFor();
    await load.stop();
    figure("load generator", `${load.added} jobs added, ${load.failures} refused${load.lastError ? ` (${load.lastError})` : ""}`);
    await waitFor("the load's jobs to end", async () => (await call("GET", "/v1/stats")).joblets.done === load.added, 120);
    const stats = await call("GET", "/v1/stats");
    await waitFor("the Overview's counts", async () =>
      await card(page, "jobs") === BULK + 1 + load.added && await card(page, "done") === load.added &&
      await card(page, "waiting") === (stats.joblets.waiting || 0) && await card(page, "ready") === (stats.joblets.ready || 0), 30);
    assert(true, `the Overview shows ${BULK + 1 + load.added} jobs, ${load.added} joblets done, as the store`);
    await shot(page, "overview-scale");
    noErrors(page, "overview at scale");
  } finally {
    await load.stop();
    await browser.close();
  }
  log(`figures:\n  ${figures.join("\n  ")}`);
});
