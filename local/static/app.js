// The web app's shell: config, the API, the header and navigation, small DOM and money helpers.
// Each page is its own HTML file (a bookmarkable URL) with a module that calls boot().

import { session, signIn, signOut } from "./auth.js";

export const NAV = [
  ["index.html", "My month"],
  ["money.html", "Where my money went"],
  ["creator.html", "Creator dashboard"],
  ["things.html", "My things"],
];

export const ctx = { config: null, me: null, api: "" };

// ------------------------------------------------------------------ DOM

/** h("p", {class: "x"}, "text", child): an element; attributes starting with "on" are listeners. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function table(caption, headers, rows, numeric = []) {
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((t, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { class: numeric.includes(i) ? "num" : null }, c))))));
}

/** Run `fn` for a form's submit, with its button busy and the outcome in `status`. */
export function onSubmit(form, status, fn) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    say(status, "");
    try {
      const message = await fn(new FormData(form));
      if (message) say(status, message, "good");
    } catch (e) {
      say(status, e.message, "bad");
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function say(el, text, kind) {
  el.textContent = text;
  el.className = `status ${kind || ""}`;
}

// ------------------------------------------------------------------ money, as integer cents

export function euros(cents) {
  if (typeof cents !== "number") return "–";
  const abs = Math.abs(cents);
  return `${cents < 0 ? "-" : ""}€${Math.floor(abs / 100).toLocaleString("en")}.${String(abs % 100).padStart(2, "0")}`;
}

export function cents(text) {
  const m = /^\s*€?\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text || "");
  if (!m) throw new Error(`“${text}” is not an amount in euros, like 10.00.`);
  return Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
}

// ------------------------------------------------------------------ months

export function addMonths(month, n) {
  let [y, m] = month.split("-").map(Number);
  m += n;
  while (m > 12) { m -= 12; y += 1; }
  while (m < 1) { m += 12; y -= 1; }
  return `${y}-${String(m).padStart(2, "0")}`;
}

/** The `n` months before `month`, oldest first. */
export function monthsBefore(month, n) {
  return Array.from({ length: n }, (_, i) => addMonths(month, i - n));
}

export function monthName(month) {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
}

// ------------------------------------------------------------------ the API

export async function api(method, path, body) {
  const headers = {};
  const s = session();
  if (s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(ctx.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error("Flattr could not be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && s) {
    // The token expired or was revoked: sign in again, and come back here.
    await signIn(ctx.config);
  }
  return { status: response.status, ok: response.ok, data };
}

export function problem(r) {
  const e = r.data && r.data.error;
  if (e && typeof e === "object") return e.message || e.code;
  if (typeof e === "string") return r.data.error_description || e;
  return `Something went wrong (HTTP ${r.status}).`;
}

/** The API's answer, or an Error with its message. */
export async function must(method, path, body) {
  const r = await api(method, path, body);
  if (!r.ok) throw new Error(problem(r));
  return r.data;
}

/** Several things at once (v2's GET /rest/v2/things/1,2,3), as a Map from id to thing. */
export async function thingsById(ids) {
  const out = new Map();
  const unique = [...new Set(ids.map(String))];
  for (let i = 0; i < unique.length; i += 30) {
    const r = await api("GET", `/rest/v2/things/${unique.slice(i, i + 30).join(",")}`);
    if (!r.ok) continue;
    for (const t of Array.isArray(r.data) ? r.data : [r.data]) out.set(String(t.id), t);
  }
  return out;
}

/** A real link: signin.html starts the sign-in and comes back to this page. */
export const signInLink = () => h("a", { href: pageUrl("signin.html", { return: location.href }), class: "button primary" }, "Sign in");
export const pageUrl = (name, params) => `${name}${params ? "?" + new URLSearchParams(params) : ""}`;
export const thingLink = (id, title) => h("a", { href: pageUrl("thing.html", { id }) }, title || `Thing ${id}`);
export const userLink = (id, name) => h("a", { href: pageUrl("user.html", { id }) }, name || id);

// ------------------------------------------------------------------ the shell

async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error("This site's config.json is missing.");
  return response.json();
}

function header(me) {
  const here = location.pathname.split("/").pop() || "index.html";
  const account = me
    ? h("div", { class: "account" },
        h("span", {}, "Signed in as ", h("strong", {}, me.name)),
        h("button", { type: "button", class: "link", onclick: () => signOut(ctx.config) }, "Sign out"))
    : h("div", { class: "account" },
        signInLink());
  return h("div", { class: "bar" },
    h("a", { href: "index.html", class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "✓"), "Flattr"),
    h("nav", { class: "site-nav", "aria-label": "Main" },
      h("ul", {}, NAV.map(([href, label]) => h("li", {}, h("a", { href, "aria-current": href === here ? "page" : null }, label))))),
    account);
}

function footer() {
  const parts = [h("span", {}, "Flattr: share a monthly budget among the things you like.")];
  if (ctx.config.dev_panel) {
    parts.push(" ", h("a", { href: ctx.config.dev_panel }, "Developer panel"), " (local stack only)");
  }
  return parts;
}

/** Start a page: config, session, header; then `render(content, me)` fills #content. */
export async function boot(render, { needsSignIn = false } = {}) {
  const content = document.getElementById("content");
  // Another tab signed in or out: show nothing of the previous user.
  addEventListener("storage", (e) => { if (e.key === "flattr.token") location.reload(); });
  try {
    ctx.config = await loadConfig();
    ctx.api = (ctx.config.api || "").replace(/\/$/, "");
    ctx.me = session();
    document.getElementById("site-header").replaceChildren(header(ctx.me));
    document.getElementById("site-footer").replaceChildren(...footer());
    if (needsSignIn && !ctx.me) {
      content.replaceChildren(
        h("p", {}, "Sign in to see this page."),
        h("p", {}, signInLink()));
      return;
    }
    // Drawn off-screen, then shown at once: "Loading…" stays until the page has all it needs.
    const page = document.createElement("div");
    await render(page, ctx.me);
    content.replaceChildren(...page.childNodes);
    if (window.FlattrWidget) window.FlattrWidget.scan(content); // Flattr buttons on our pages
    const target = location.hash && document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  } catch (e) {
    content.replaceChildren(h("p", { class: "notice bad", role: "alert" }, e.message));
  }
}
