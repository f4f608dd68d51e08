// The dashboard: who the caller is, the event stream, and which page the address shows
// (#/, #/jobs, #/job/ID, #/workers, #/definitions, #/definition/NAME, #/network, #/login).
import { api, session } from "./api.js";
import { h, fill } from "./dom.js";
import { EventStream } from "./sse.js";
import * as overview from "./overview.js";
import * as jobs from "./jobs.js";
import * as job from "./job.js";
import * as workers from "./workers.js";
import * as login from "./login.js";
import * as defs from "./definitions.js";
import * as network from "./network.js";

const main = document.getElementById("main");
const routes = [
  [/^#?\/?$/, overview, "overview"],
  [/^#\/jobs(?:\?(.*))?$/, jobs, "jobs"],
  [/^#\/job\/(.+)$/, job, "jobs"],
  [/^#\/workers$/, workers, "workers"],
  [/^#\/definitions$/, { mount: defs.mountList }, "definitions"],
  [/^#\/definition\/(.+)$/, { mount: defs.mountOne }, "definitions"],
  [/^#\/network(?:\?(.*))?$/, network, "network"],
  [/^#\/login$/, login, ""],
];

let page = null;       // the mounted page: {refresh(), onEvent(e), unmount(), gap?}
let stream = null;
// Reading the state again is batched: one read at a time, at most one each page.gap ms
// (default GAP) however many events ask for it, and each read draws in one animation frame.
const GAP = 250;
let dirty = false;     // an event came since the last read began
let busy = false;      // a read is under way
let timer = null;      // the next read is due
let lastRead = -Infinity;

export function showError(e) {
  const el = document.getElementById("error");
  if (!e) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  fill(el, e.message || String(e), " ", h("button.link", { onclick: () => showError(null) }, "dismiss"));
}

// Read the state again and redraw the page soon, once however many events ask for it.
export function schedule() {
  dirty = true;
  if (busy || timer) return;
  const gap = (page && page.gap) || GAP;
  timer = setTimeout(readAgain, Math.max(0, lastRead + gap - performance.now()));
}

async function readAgain() {
  timer = null;
  if (!page || !page.refresh) return;
  dirty = false;
  busy = true;
  lastRead = performance.now();
  try {
    await page.refresh();
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
  }
  if (dirty) schedule();
}

// Resolves at the next animation frame: a page draws what it read there, so the DOM
// changes at most once a frame (and not at all in a hidden tab).
export function frame() {
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

function onEvent(m) {
  let e = null;
  try { e = JSON.parse(m.data); } catch { return; }
  if (m.event === "reset") {
    schedule();   // events were missed: the state is read again
    return;
  }
  if (page && page.onEvent) page.onEvent(e);
}

function setLive(on) {
  const el = document.getElementById("live");
  el.textContent = on ? "live" : "reconnecting…";
  el.className = on ? "live on" : "live off";
  if (on) schedule();   // whatever changed while it was away
}

function startStream() {
  if (stream) stream.stop();
  stream = new EventStream("/v1/events", onEvent, setLive).start();
}

function route() {
  const hash = location.hash || "#/";
  if (session.who && session.who.role === "anonymous" && hash !== "#/login") {
    location.hash = "#/login";
    return;
  }
  for (const [re, mod, nav] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    if (page && page.unmount) page.unmount();
    showError(null);
    for (const a of document.querySelectorAll("#nav a"))
      a.classList.toggle("active", a.dataset.page === nav);
    fill(main);
    page = mod.mount(main, m.slice(1).map((x) => (x === undefined ? "" : decodeURIComponent(x))));
    if (page.refresh) page.refresh().catch(showError);
    return;
  }
  fill(main, h("p", "No such page. "), h("a", { href: "#/" }, "Overview"));
}

async function whoami() {
  session.who = await api("GET", "/v1/whoami");
  const anon = session.who.role === "anonymous";
  document.getElementById("nav").hidden = anon;
  document.getElementById("live").hidden = anon;
  fill(document.getElementById("who"), anon ? "" : `${session.who.user} (${session.who.role})`);
  document.getElementById("logout").hidden = !(session.who.auth && !anon);
  if (anon) {
    if (stream) stream.stop();
    stream = null;
  } else if (!stream) {
    startStream();
  }
}

// After a login (login.js) or a logout: who is it now, then the page they asked for.
export async function restart(to) {
  if (stream) stream.stop();
  stream = null;
  await whoami();
  location.hash = to || "#/";
  route();
}

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("POST", "/v1/logout"); } catch { /* the token may be gone already */ }
  session.token = null;
  restart("#/login").catch(showError);
});

api.onUnauthorized = () => {
  if (location.hash !== "#/login") {
    session.token = null;
    restart("#/login").catch(showError);
  }
};

window.addEventListener("hashchange", route);
whoami().then(route).catch((e) => {
  if (e.status === 401) {
    session.token = null;
    restart("#/login").catch(showError);
  } else {
    showError(e);
  }
});
