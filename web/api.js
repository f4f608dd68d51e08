// Calls to the server's API. The token lives in this tab's sessionStorage and goes in the
// Authorization header, never in a cookie: no other site can make the browser send it.

const KEY = "jobgrid.token";

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(t) { t ? sessionStorage.setItem(KEY, t) : sessionStorage.removeItem(KEY); },
  who: null,                 // GET /v1/whoami's answer
  get admin() { return this.who && this.who.role === "admin"; },
};

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || "";
    this.field = e.field || "";
  }
}

export function headers(extra) {
  const h = Object.assign({}, extra);
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  return h;
}

// The JSON answer of METHOD path, or an ApiError; 401 also tells the app (onUnauthorized).
export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (r.status === 401 && api.onUnauthorized) api.onUnauthorized();
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}
api.onUnauthorized = null;

export function enc(s) {
  return encodeURIComponent(s);
}
