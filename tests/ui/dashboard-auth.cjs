// The dashboard with --auth: a login page first; a `user` sees only their own jobs (live,
// as they are added with the CLI) and no admin action; another's job is "no job"; the
// token stays in the tab (sessionStorage), never a cookie; logging out forgets it; an
// admin gets the admin actions (Pause on the network page too).
"use strict";
const { URL, launch, newPage, noErrors, shot, jg, waitFor, log, assert, run } = require("./browser.cjs");

const REFUSED = /Failed to load resource: the server responded with a status of (401|404)/;

async function login(page, user, password) {
  await page.locator("form.login").waitFor();
  await page.fill("input[name=user]", user);
  await page.fill("input[name=password]", password);
  await page.click("form.login button[type=submit]");
}

run(async () => {
  const browser = await launch();
  const ADMIN = process.env.ADMIN_TOKEN, ALICE = process.env.ALICE_TOKEN;
  const adminsJob = process.env.ADMINS_JOB, alicesJob = process.env.ALICES_JOB;
  try {
    const page = await newPage(browser);

    log("without a token: the login page, nothing else");
    await page.goto(`${URL}/`);
    await page.locator("form.login").waitFor();
    assert(page.url().endsWith("#/login"), "the address is #/login");
    assert(await page.locator("#nav").isHidden(), "no navigation before logging in");
    await shot(page, "login");
    noErrors(page, "login page");

    log("a wrong password is refused on the page");
    await login(page, "alice", "wrong");
    await page.locator("form.login .refusal", { hasText: "Wrong user or password" }).waitFor();
    noErrors(page, "wrong password", REFUSED);

    log("alice logs in: her jobs only, live; no admin action");
    await login(page, "alice", "alice-pw");
    await page.locator("h1", { hasText: "Overview" }).waitFor();
    await page.locator("#who", { hasText: "alice (user)" }).waitFor();
    await page.locator("#live.on").waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem("jobgrid.token"));
    assert(/^jg_[0-9a-f]{64}$/.test(stored || ""), "the token is kept in the tab's sessionStorage");
    assert((await page.context().cookies()).length === 0, "no cookie");
    await page.click("#nav a[data-page=jobs]");
    await page.locator(`table.jobs tr[data-id="${alicesJob}"]`).waitFor();
    assert(await page.locator(`table.jobs tr[data-id="${adminsJob}"]`).count() === 0, "the admin's job is not listed");
    assert(await page.locator("input[name=owner]").isHidden(), "no owner filter for a user");
    const fresh = jg(["add", "--name", "alice-live", "--", "true"], { JOBGRID_TOKEN: ALICE });
    await page.locator(`table.jobs tr[data-id="${fresh}"]`).waitFor();
    assert(true, `alice's new job ${fresh} appeared without a reload`);
    const owners = await page.locator("table.jobs tbody tr td:nth-child(3)").allTextContents();
    assert(owners.length >= 2 && owners.every((o) => o === "alice"), `every listed job is alice's (${owners.length})`);
    await shot(page, "jobs-user");
    await page.click("#nav a[data-page=workers]");
    await page.locator("table.workers tbody tr").first().waitFor();
    assert(await page.locator("button", { hasText: "Drain" }).count() === 0, "no Drain for a user");
    await shot(page, "workers-user");
    await page.click("#nav a[data-page=network]");
    await page.locator('svg.net g.node[data-name="second"]').waitFor();
    assert(await page.locator('svg.net g.edge[data-from="first"][data-to="second"]').count() === 1, "a user sees the network's graph");
    await page.locator('table.members tr[data-name="second"]').waitFor();
    assert(await page.locator("button[data-act]").count() === 0, "the network page, without Pause or Resume for a user");
    await page.goto(`${URL}/#/job/${encodeURIComponent(adminsJob)}`);
    await page.locator(".refusal", { hasText: "No job" }).waitFor();
    assert(await page.locator("button", { hasText: "Cancel" }).count() === 0, "another's job: no job, no action");
    await page.goto(`${URL}/#/job/${encodeURIComponent(fresh)}`);
    await page.locator("h1 .badge.s-done").waitFor();
    noErrors(page, "alice's pages", REFUSED);

    log("logging out forgets the token");
    await page.click("#logout");
    await page.locator("form.login").waitFor();
    assert(await page.evaluate(() => sessionStorage.getItem("jobgrid.token")) === null, "the token is gone");
    const r = await page.evaluate(async (t) => (await fetch("/v1/whoami", { headers: { Authorization: `Bearer ${t}` } })).status, stored);
    assert(r === 401, "the server revoked it (whoami with it: 401)");

    log("an admin sees every job and the admin actions");
    await login(page, "boss", "boss-pw");
    await page.locator("#who", { hasText: "boss (admin)" }).waitFor();
    await page.click("#nav a[data-page=jobs]");
    await page.locator(`table.jobs tr[data-id="${adminsJob}"]`).waitFor();
    await page.locator(`table.jobs tr[data-id="${alicesJob}"]`).waitFor();
    await page.click("#nav a[data-page=workers]");
    await page.locator("button", { hasText: "Drain server" }).waitFor();
    await shot(page, "workers-admin");
    await page.click("#nav a[data-page=network]");
    await page.locator('button[data-act="pause"][data-name="first"]').waitFor();
    assert(true, "an admin gets Pause on the network page");
    noErrors(page, "the admin's pages", REFUSED);
    void ADMIN;
  } finally {
    await browser.close();
  }
});
