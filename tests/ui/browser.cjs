// What the dashboard tests share: Debian's chromium driven headless by playwright-core (the
// version tools/package-lock.json pins), a page that records console errors, screenshots
// into the build folder, the CLI, and waits with a deadline.
"use strict";
const path = require("path");
const fs = require("fs");
const { execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "../..");
const { chromium } = require(path.join(ROOT, "tools/node_modules/playwright-core"));

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set (run this through its .sh)`);
  return process.env[k];
};
const URL = env("JOBGRID_URL");
const T = env("T");
const SHOTS = path.join(env("JG_BUILD"), "ui-screenshots");

// The real browser binary of Debian's package (its /usr/bin/chromium is a shell wrapper).
function chromiumPath() {
  for (const p of ["/usr/lib/chromium/chromium", "/usr/bin/chromium"])
    if (fs.existsSync(p)) return p;
  throw new Error("chromium is not installed: `make deps` installs Debian's chromium package");
}

// extraArgs: more chromium switches (the scale test's --enable-precise-memory-info).
async function launch(extraArgs) {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", ...(extraArgs || [])],
  });
}

// A new page (its own context: its own sessionStorage) whose console errors, uncaught
// exceptions and refused requests (CSP violations included) are kept in page.errors.
async function newPage(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  page.errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.errors.push(`exception: ${e.message}`));
  page.setDefaultTimeout(20000);
  return page;
}

// No console error so far on page; the expected ones (a 401 while logged out) are filtered
// by the caller with allow.
function noErrors(page, what, allow) {
  const errs = page.errors.filter((e) => !(allow && allow.test(e)));
  if (errs.length) throw new Error(`${what}: errors in the browser's console:\n  ${errs.join("\n  ")}`);
  page.errors.length = 0;
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

// The CLI, as the test's user (JOBGRID_TOKEN, JOBGRID_URL from the environment).
function jg(args, extraEnv) {
  return execFileSync(env("JOBGRID_BIN"), args, {
    env: Object.assign({}, process.env, extraEnv || {}),
    encoding: "utf8",
  }).trim();
}

// Poll fn until it returns something true, or fail after secs naming what.
async function waitFor(what, fn, secs = 20) {
  const deadline = Date.now() + secs * 1000;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${secs}s waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function log(msg) {
  console.log(`[${path.basename(process.argv[1], ".cjs")}] ${msg}`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
  log(`ok: ${msg}`);
}

// Run main; any failure prints and exits 1 (the .sh then fails the test).
function run(main) {
  main().then(() => log("PASS"), (e) => {
    console.log(`[${path.basename(process.argv[1], ".cjs")}] FAIL: ${e.stack || e}`);
    process.exit(1);
  });
}

module.exports = { URL, T, launch, newPage, noErrors, shot, jg, waitFor, log, assert, run };
