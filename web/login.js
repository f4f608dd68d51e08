// The login page (the server runs with --auth): POST /v1/login, the token kept in this tab.
import { api, session } from "./api.js";
import { h, fill } from "./dom.js";
import { restart, showError } from "./app.js";

export function mount(main) {
  const user = h("input", { name: "user", autocomplete: "username", required: true });
  const pw = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p.refusal", { role: "alert" });
  const form = h("form.login", { onsubmit: submit },
    h("h1", "Log in to jobgrid"),
    h("label", "User", user), h("label", "Password", pw), msg,
    h("button", { type: "submit" }, "Log in"));
  fill(main, form);
  user.focus();

  async function submit(ev) {
    ev.preventDefault();
    fill(msg);
    try {
      const r = await api("POST", "/v1/login", { user: user.value, password: pw.value });
      if (r.token) session.token = r.token;
      pw.value = "";
      await restart("#/");
    } catch (e) {
      fill(msg, e.status === 401 ? "Wrong user or password." : e.message);
      if (e.status !== 401 && e.status !== 429) showError(e);
    }
  }
  return {};
}
