/* The developer panel: the local stack's /_local/ tools. Served by `make run` only. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);

  async function call(method, path, body, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((data.error && data.error.message) || "HTTP " + r.status);
    return data;
  }
  function say(id, text, kind) { $(id).textContent = text; $(id).className = "status " + (kind || ""); }
  function cents(text) {
    const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
    if (!m) throw new Error("Type an amount in euros, like 20.00.");
    return Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
  }
  const euros = (c) => "€" + Math.floor(c / 100) + "." + String(c % 100).padStart(2, "0");
  function on(id, fn, out) {
    const el = $(id);
    const run = async (e) => {
      if (e) e.preventDefault();
      try { await fn(); } catch (err) { say(out, err.message, "bad"); }
    };
    el.addEventListener(el.tagName === "FORM" ? "submit" : "click", run);
  }
  function addMonth(month, n) {
    let [y, m] = month.split("-").map(Number);
    m += n;
    while (m > 12) { m -= 12; y += 1; }
    while (m < 1) { m += 12; y -= 1; }
    return y + "-" + String(m).padStart(2, "0");
  }
  let admin = null;
  async function adminToken() {
    if (!admin) admin = (await call("POST", "/_local/token", { sub: "dev-panel-admin", admin: true })).token;
    return admin;
  }
  let now = null;
  async function showClock() {
    now = (await call("GET", "/_local/clock")).now;
    $("clock-now").textContent = now.slice(0, 16).replace("T", " ") + " UTC";
    if (!$("close-month").value) $("close-month").value = addMonth(now.slice(0, 7), -1);
  }

  // Sandbox deposit, prefilled by the app's "Top up" link: ?deposit=<user>&amount=<cents>&return=<url>.
  if (params.get("deposit")) $("dep-user").value = params.get("deposit");
  if (/^\d+$/.test(params.get("amount") || "")) $("dep-amount").value = (Number(params.get("amount")) / 100).toFixed(2);
  on("deposit-form", async () => {
    const amount = cents($("dep-amount").value);
    const user = $("dep-user").value.trim();
    const r = await call("POST", "/_local/deposit", { user_id: user, amount: amount });
    say("dep-out", "Deposited " + euros(amount) + " for " + user + " (" + r.event_id + ").", "good");
    const back = params.get("return");
    if (back && new URL(back, location.href).origin === location.origin) {
      $("dep-back-link").href = back;
      $("dep-back").hidden = false;
      $("dep-back-link").focus();
    }
  }, "dep-out");

  on("clock-form", async () => {
    await call("POST", "/_local/clock", { now: $("clock-at").value.trim() });
    await showClock();
    say("clock-out", "The business clock moved.", "good");
  }, "clock-out");
  on("clock-next", async () => {
    await showClock();
    const next = addMonth(now.slice(0, 7), 1) + "-01T00:10:00+00:00";
    await call("POST", "/_local/clock", { now: next });
    await showClock();
    $("close-month").value = addMonth(next.slice(0, 7), -1);
    say("clock-out", "It is now " + next.slice(0, 16).replace("T", " ") + " UTC: the month before can close.", "good");
  }, "clock-out");
  on("clock-reset", async () => {
    await call("POST", "/_local/clock", { now: null });
    await showClock();
    say("clock-out", "The clock follows real time again.", "good");
  }, "clock-out");

  on("close-form", async () => {
    const month = $("close-month").value.trim();
    const token = await adminToken();
    await call("POST", "/admin/months/" + month + "/close", {}, token);
    const drained = await call("POST", "/_local/drain");
    const s = await call("GET", "/admin/months/" + month, undefined, token);
    say("close-out", month + " is " + s.status + ": " + s.users_settled + " of " + s.users_total + " users settled, " +
      euros(s.charged) + " charged, " + euros(s.distributed) + " to creators (" + drained.processed + " jobs).", "good");
  }, "close-out");
  on("drain", async () => {
    const r = await call("POST", "/_local/drain");
    say("close-out", "Processed " + r.processed + " queued messages.", "good");
  }, "close-out");

  on("token-form", async () => {
    const r = await call("POST", "/_local/token", { sub: $("token-sub").value.trim(), admin: $("token-admin").checked });
    $("token-out").value = r.token;
  }, "audit-out");
  on("audit", async () => {
    say("audit-out", "Auditing…");
    const r = await call("POST", "/_local/audit");
    say("audit-out", r.ok ? "All invariants hold." : r.violations.length + " violation(s): " +
      r.violations.map((v) => v.invariant + ": " + v.detail).join("; "), r.ok ? "good" : "bad");
  }, "audit-out");

  showClock().catch((e) => say("clock-out", e.message, "bad"));
})();
