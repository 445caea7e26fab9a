/* The local demo page: five steps against the real API on this origin. No framework. */
"use strict";

const TOKEN_KEY = "flattr.token"; // read by /flattr.html, the window that makes the flattr
const USER_KEY = "flattr.user";
const STATE_KEY = "flattr.demo";
const $ = (id) => document.getElementById(id);

const state = Object.assign({ users: [], things: [], seeded: 0, closing: null },
  JSON.parse(localStorage.getItem(STATE_KEY) || "{}"));
const tokens = new Map(); // user -> token, for reading every demo user's balances
let adminToken = null;

function save() {
  localStorage.setItem(STATE_KEY, JSON.stringify(state));
}

// ------------------------------------------------------------------ money, as integer cents

function euros(cents) {
  if (typeof cents !== "number") return "–";
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}€${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

function cents(text) {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not an amount in euros, like 10.00.`);
  return Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
}

// ------------------------------------------------------------------ the API, logged

async function api(method, path, { token, body, quiet } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!quiet) log(method, path, response.status, data);
  return { status: response.status, ok: response.ok, data };
}

function problem(r) {
  const e = r.data && r.data.error;
  return e ? `${e.message} (${e.code})` : `HTTP ${r.status}`;
}

function log(method, path, status, data) {
  const li = document.createElement("li");
  li.className = status < 300 ? "good" : "bad";
  const code = data && data.error ? ` ${data.error.code}` : "";
  li.textContent = `${method} ${path} → ${status}${code}`;
  const list = $("log");
  list.prepend(li);
  while (list.children.length > 40) list.lastChild.remove();
}

function out(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.className = `out ${kind || ""}`;
}

async function tokenFor(user) {
  if (!tokens.has(user)) {
    const r = await api("POST", "/_local/token", { body: { sub: user, name: user }, quiet: true });
    if (!r.ok) throw new Error(problem(r));
    tokens.set(user, r.data.token);
  }
  return tokens.get(user);
}

async function admin() {
  if (!adminToken) {
    const r = await api("POST", "/_local/token", { body: { sub: "demo-admin", admin: true } });
    if (!r.ok) throw new Error(problem(r));
    adminToken = r.data.token;
  }
  return adminToken;
}

const current = () => localStorage.getItem(USER_KEY);
const displayName = (user) => user.charAt(0).toUpperCase() + user.slice(1);

// ------------------------------------------------------------------ balances and the clock

async function refresh() {
  const rows = [];
  let month = null;
  for (const user of state.users) {
    const r = await api("GET", "/me", { token: await tokenFor(user), quiet: true });
    if (r.ok) {
      rows.push([user, r.data]);
      if (user === current() || !month) month = r.data.month;
    } else {
      rows.push([user, null]);
    }
  }
  const body = $("balances");
  body.replaceChildren();
  for (const [user, me] of rows) {
    const tr = document.createElement("tr");
    if (user === current()) tr.className = "me";
    const cells = me
      ? [user, euros(me.monthly_budget), euros(me.balances.funds), euros(me.balances.revenue), String(me.flattrs_this_month)]
      : [user, "no account yet", "", "", ""];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  if (!rows.length) body.innerHTML = '<tr><td colspan="5" class="muted">Sign in to start.</td></tr>';
  $("who").textContent = current() || "nobody";
  if (month) $("month").textContent = month;
  $("seeded-note").textContent = state.seeded ? `+ ${state.seeded} seeded users, not listed.` : "";
  return month;
}

async function businessMonth() {
  const user = current();
  if (!user) throw new Error("Sign in first (step 1).");
  const r = await api("GET", "/me", { token: await tokenFor(user) });
  if (r.ok) return r.data.month;
  if (r.status === 404) throw new Error("Deposit and set a budget first (step 2).");
  throw new Error(problem(r));
}

function nextMonthStart(month) {
  let [y, m] = month.split("-").map(Number);
  if (++m > 12) { m = 1; y += 1; }
  return `${y}-${String(m).padStart(2, "0")}-01T00:10:00+00:00`;
}

// ------------------------------------------------------------------ steps

async function signIn(user) {
  const r = await api("POST", "/_local/token", { body: { sub: user, name: user } });
  if (!r.ok) throw new Error(problem(r));
  tokens.set(user, r.data.token);
  localStorage.setItem(TOKEN_KEY, r.data.token);
  localStorage.setItem(USER_KEY, user);
  if (!state.users.includes(user)) state.users.push(user);
  save();
  suggestUrl();
  return r.data.token;
}

async function fund(user, deposit, budget) {
  const token = await tokenFor(user);
  const me = await api("PUT", "/me", { token, body: { display_name: displayName(user), monthly_budget: budget } });
  if (!me.ok) throw new Error(problem(me));
  const paid = await api("POST", "/_local/deposit", { body: { user_id: user, amount: deposit } });
  if (!paid.ok) throw new Error(problem(paid));
}

// ------------------------------------------------------------------ top up through Stripe

// The card field and the top-up itself live in /topup.js (FlattrTopUp), for other pages to reuse.
let stripeReady = null;

function loadStripe() {
  stripeReady = stripeReady || (async () => {
    const r = await api("POST", "/_local/stripe", { quiet: true }); // locally: localstripe's Stripe.js stand-in
    if (!r.ok || !r.data.enabled) return false;
    await window.FlattrTopUp.mount($("card"), r.data);
    return true;
  })();
  return stripeReady;
}

async function topUp(token, amount) {
  if (!(await loadStripe())) throw new Error("No Stripe here: the sandbox deposit is POST /_local/deposit.");
  return window.FlattrTopUp.topUp({ token, amount, onCall: log });
}

function addThingCard(thing) {
  const card = document.createElement("article");
  card.className = "thing";
  const title = document.createElement("h3");
  title.textContent = thing.title;
  const meta = document.createElement("p");
  meta.className = "small muted";
  meta.textContent = `${thing.url} · by ${thing.owner} · id ${thing.id}`;
  const button = document.createElement("div");
  button.className = "flattr-button";
  button.dataset.thingId = String(thing.id);
  const comment = document.createElement("p");
  comment.className = "comment";
  comment.textContent = `A comment in plain text: “Loved it! [Flattr=${thing.id}]”`;
  card.append(title, meta, button, comment);
  $("things").append(card);
  if (window.FlattrWidget) window.FlattrWidget.scan(card); // else the widget finds it when it loads
  $("embed").hidden = false;
  $("embed-code").textContent =
    `<script src="${location.origin}/widget.js" async></script>\n<div class="flattr-button" data-thing-id="${thing.id}"></div>`;
  $("embed-tag").textContent = `[Flattr=${thing.id}]`;
}

function renderThings() {
  // Fresh buttons fetch fresh counts (the widget reads a count once, when it mounts a button).
  $("things").replaceChildren();
  for (const thing of state.things) addThingCard(thing);
}

function suggestUrl() {
  const user = current() || "you";
  $("thing-url").value = `https://example.org/${user}/song-${Math.random().toString(36).slice(2, 7)}`;
}

async function seed(n, flattr) {
  const bar = $("seed-progress");
  bar.max = n;
  bar.value = 0;
  const run = Math.random().toString(36).slice(2, 7);
  let done = 0;
  let failed = 0;
  let clicks = 0;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = ++next;
      const user = `seed-${run}-${i}`;
      try {
        const token = (await api("POST", "/_local/token", { body: { sub: user }, quiet: true })).data.token;
        const me = await api("PUT", "/me", { token, quiet: true, body: { display_name: `Seed user ${i}`, monthly_budget: 500 } });
        const paid = await api("POST", "/_local/deposit", { quiet: true, body: { user_id: user, amount: 1000 } });
        if (!me.ok || !paid.ok) throw new Error("seed failed");
        if (flattr && state.things.length) {
          const picks = state.things.filter(() => Math.random() < 0.6);
          if (!picks.length) picks.push(state.things[i % state.things.length]);
          for (const thing of picks) {
            const r = await api("POST", `/things/${thing.id}/flattr`, { token, quiet: true });
            if (r.status === 201) clicks += 1;
          }
        }
      } catch (e) {
        failed += 1;
      }
      done += 1;
      bar.value = done;
      $("seed-out").textContent = `${done} / ${n} users`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, n) }, worker));
  state.seeded += n - failed;
  save();
  return { failed, clicks };
}

// ------------------------------------------------------------------ step 5

async function clockNext() {
  const month = await businessMonth();
  const now = nextMonthStart(month);
  const r = await api("POST", "/_local/clock", { body: { now } });
  if (!r.ok) throw new Error(problem(r));
  state.closing = month;
  save();
  $("month").textContent = now.slice(0, 7);
  out("month-out", `The business clock now reads ${now.slice(0, 16).replace("T", " ")} UTC: ${month} is over.`, "good");
}

function closingMonth() {
  if (!state.closing) throw new Error("Move the clock to the next month first (①).");
  return state.closing;
}

async function closeMonth() {
  const month = closingMonth();
  const r = await api("POST", `/admin/months/${month}/close`, { token: await admin() });
  if (!r.ok) throw new Error(problem(r));
  out("month-out", `Closing ${month}: one settle job per user is queued (${r.data.status}).`, "good");
}

async function drain() {
  const r = await api("POST", "/_local/drain");
  if (!r.ok) throw new Error(problem(r));
  const month = closingMonth();
  const status = await api("GET", `/admin/months/${month}`, { token: await admin() });
  if (!status.ok) throw new Error(problem(status));
  renderSummary(status.data);
  out("month-out", `Processed ${r.data.processed} queued messages (${r.data.failed} failed). ${month} is ${status.data.status}.`, "good");
}

function renderSummary(s) {
  const table = document.createElement("table");
  table.className = "summary";
  const rows = [
    ["Month", `${s.month} (${s.status})`],
    ["Users settled", `${s.users_settled} of ${s.users_total}`],
    ["Charged from budgets", euros(s.charged)],
    ["Platform fee", euros(s.fees)],
    ["Distributed to creators", euros(s.distributed)],
    ["To charity (flattred nothing)", euros(s.charity)],
  ];
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = k;
    tr.append(th);
    tr.insertCell().textContent = v;
  }
  $("month-summary").replaceChildren(table);
}

async function statements() {
  const month = closingMonth();
  const titles = new Map(state.things.map((t) => [String(t.id), t.title]));
  const table = document.createElement("table");
  table.className = "statement";
  table.createCaption().textContent = `Statements for ${month}`;
  const head = table.createTHead().insertRow();
  for (const h of ["User", "Charged", "Fee", "Given", "Charity", "Received"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const user of state.users) {
    const r = await api("GET", `/me/statements/${month}`, { token: await tokenFor(user) });
    const tr = body.insertRow();
    tr.insertCell().textContent = user;
    if (!r.ok) {
      const td = tr.insertCell();
      td.colSpan = 5;
      td.textContent = problem(r);
      continue;
    }
    const s = r.data;
    const given = (s.given || []).map((g) => `${euros(g.amount)} → ${titles.get(String(g.thing_id)) || g.thing_id}`);
    const received = (s.received || []).map(
      (g) => `${euros(g.amount)} for ${titles.get(String(g.thing_id)) || g.thing_id} (${g.flattrs} flattrs)`);
    tr.insertCell().textContent = euros(s.charged);
    tr.insertCell().textContent = euros(s.fee);
    tr.insertCell().textContent = given.join("; ") || "–";
    tr.insertCell().textContent = euros(s.charity);
    tr.insertCell().textContent = received.join("; ") || "–";
  }
  $("statement-list").replaceChildren(table);
  await refresh();
}

// ------------------------------------------------------------------ wiring

function action(button, fn) {
  $(button).addEventListener("click", () => run(button, fn));
}

function form(id, button, fn) {
  $(id).addEventListener("submit", (event) => {
    event.preventDefault();
    run(button, fn);
  });
}

async function run(button, fn) {
  const el = $(button);
  el.disabled = true;
  el.setAttribute("aria-busy", "true");
  try {
    await fn();
  } catch (e) {
    const step = el.closest(".step");
    const target = step ? step.querySelector(".out") : null;
    if (target) out(target.id, e.message, "bad");
  } finally {
    el.disabled = false;
    el.removeAttribute("aria-busy");
  }
}

form("signin-form", "signin", async () => {
  const user = $("signin-user").value.trim();
  const token = await signIn(user);
  out("signin-out", `Signed in as ${user}. Token (kept on this origin only): ${token.slice(0, 18)}…`, "good");
  $("step1").classList.add("done");
  await refresh();
});

form("fund-form", "fund", async () => {
  const user = current();
  if (!user) throw new Error("Sign in first (step 1).");
  const deposit = cents($("deposit").value);
  const budget = cents($("budget").value);
  const token = await tokenFor(user);
  const me = await api("PUT", "/me", { token, body: { display_name: displayName(user), monthly_budget: budget } });
  if (!me.ok) throw new Error(problem(me));
  await topUp(token, deposit);
  out("fund-out", `${user} deposited ${euros(deposit)} and gives ${euros(budget)} a month.`, "good");
  $("step2").classList.add("done");
  await refresh();
});

form("thing-form", "register", async () => {
  const user = current();
  if (!user) throw new Error("Sign in first (step 1).");
  const r = await api("POST", "/things", {
    token: await tokenFor(user), body: { url: $("thing-url").value.trim(), title: $("thing-title").value.trim() } });
  if (!r.ok) throw new Error(problem(r));
  const thing = { id: r.data.id, title: r.data.title, url: r.data.url, owner: user };
  state.things.push(thing);
  save();
  addThingCard(thing);
  suggestUrl();
  out("thing-out", `Registered “${thing.title}” as thing ${thing.id}. Its button is live below.`, "good");
  $("step3").classList.add("done");
});

form("switch-form", "switch", async () => {
  const user = $("switch-user").value.trim();
  await signIn(user);
  let text = `Now signed in as ${user}.`;
  if ($("switch-fund").checked) {
    await fund(user, cents($("deposit").value), cents($("budget").value));
    text += ` They deposited ${$("deposit").value} and set a budget of ${$("budget").value}.`;
  }
  out("switch-out", `${text} Click a Flattr button in step 3.`, "good");
  $("step4").classList.add("done");
  await refresh();
});

form("seed-form", "seed", async () => {
  const n = Math.max(1, Math.min(500, Number($("seed-n").value) || 0));
  const { failed, clicks } = await seed(n, $("seed-flattr").checked);
  $("seed-out").textContent = `Seeded ${n - failed} users${failed ? `, ${failed} failed` : ""}; ${clicks} flattrs.`;
  renderThings();
  await refresh();
});

action("clock-next", clockNext);
action("close-month", closeMonth);
action("drain", drain);
action("statements", statements);
action("settle-all", async () => {
  await clockNext();
  await closeMonth();
  await drain();
  await statements();
  $("step5").classList.add("done");
});
action("clock-reset", async () => {
  const r = await api("POST", "/_local/clock", { body: { now: null } });
  out("month-out", `The business clock is back to the real time (${String(r.data.now).slice(0, 16)}).`);
  await refresh();
});
action("refresh", refresh);
action("reset-demo", async () => {
  localStorage.removeItem(STATE_KEY);
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  location.reload();
});

// The button reports to this page too (it is the embedding page here): log it and show the new balances.
window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || !event.data || event.data.type !== "flattr:result") return;
  const d = event.data;
  log("widget", `thing ${d.thing_id}`, d.code ? 400 : 200, d.code ? { error: { code: d.code } } : { status: d.status });
  refresh();
});

(async function init() {
  suggestUrl();
  loadStripe().catch((e) => out("fund-out", e.message, "bad")); // the card field, ready before step 2
  // The stack keeps its data in memory: forget things a restarted stack no longer has.
  const known = await Promise.all(state.things.map((t) => api("GET", `/things/${t.id}`, { quiet: true })));
  state.things = state.things.filter((t, i) => known[i].status !== 404);
  save();
  renderThings();
  if (current() && !state.users.includes(current())) state.users.push(current());
  if (current()) {
    $("signin-user").value = current();
    $("step1").classList.add("done");
  }
  await refresh().catch(() => {});
})();
