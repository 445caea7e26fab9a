/* The first-party flattr window: /flattr.html?thing=<id>&origin=<the embedding page's origin>.
 *
 * The reader's token lives in this origin's localStorage ("flattr.token") and never leaves it: the
 * embedding page only gets the outcome, by postMessage to exactly the origin it named (never "*").
 * Before flattring without a further click, this window checks that its opener really is that origin
 * (a hello/ready handshake whose reply the browser stamps with the sender's origin) and that the thing
 * belongs to that origin (its URL is on it) or the page is ours. Otherwise, and when opened on its own
 * (say from a QR code), the reader confirms here: a page cannot flattr someone else's thing for them.
 */
(function () {
  "use strict";

  var KEY = "flattr.token";
  var HANDSHAKE_MS = 1500;
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var id = thingId(params.get("thing"));
  var target = httpOrigin(params.get("origin"));
  var opener = target && window.opener ? window.opener : null; // we report only to a valid origin
  var verified = verify();

  var MESSAGES = {
    flattred: "Flattred. Thank you! Your budget is shared among everything you flattr this month.",
    already_flattred: "You already flattred this thing this month.",
    cancelled: "Not flattred.",
  };

  function thingId(s) {
    return /^\d{1,16}$/.test(s || "") && +s > 0 && +s <= Number.MAX_SAFE_INTEGER ? +s : null;
  }

  function httpOrigin(s) {
    // Exactly "http(s)://host[:port]": what location.origin gives, nothing more.
    if (!s) return null;
    try {
      var u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.origin === s ? s : null;
    } catch (e) {
      return null;
    }
  }

  function originOf(url) {
    try { return new URL(url).origin; } catch (e) { return null; }
  }

  function say(text, kind) {
    var status = $("status");
    status.textContent = text;
    status.className = kind || "";
  }

  function report(status, code, message, flattrs) {
    if (!opener) return;
    var result = { type: "flattr:result", thing_id: id, status: status, code: code || null,
      message: message, flattrs: typeof flattrs === "number" ? flattrs : null };
    try {
      opener.postMessage(result, target); // dropped by the browser unless the opener is at target
    } catch (e) { /* the opener went away */ }
  }

  function closeSoon(ms) {
    if (!opener) return;
    $("actions").hidden = false;
    setTimeout(function () { window.close(); }, ms);
  }

  // hello -> ready: true when the opener answers from exactly `target`.
  function verify() {
    return new Promise(function (resolve) {
      if (!opener) return resolve(false);
      function onMessage(e) {
        if (e.source === opener && e.origin === target && e.data && e.data.type === "flattr:ready" &&
            e.data.thing_id === id) {
          removeEventListener("message", onMessage);
          resolve(true);
        }
      }
      addEventListener("message", onMessage);
      setTimeout(function () { removeEventListener("message", onMessage); resolve(false); }, HANDSHAKE_MS);
      try { opener.postMessage({ type: "flattr:hello", thing_id: id }, target); } catch (e) { resolve(false); }
    });
  }

  // On AWS the API is on its own origin (the meta tag is filled in at publish); locally, this one.
  var API_BASE = (document.querySelector('meta[name="flattr-api"]') || {}).content || "";

  function api(method, path, token, body) {
    var headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(API_BASE + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          return { status: r.status, data: data };
        });
      });
  }

  function failure(r) {
    var err = (r.data && r.data.error) || {};
    return { code: err.code || "error", message: err.message || "Something went wrong (HTTP " + r.status + ")." };
  }

  function fail(code, message) {
    say(message, "bad");
    report("error", code, message);
    closeSoon(1200);
  }

  function needSignIn() {
    localStorage.removeItem(KEY);
    $("confirm").hidden = true;
    $("signin").hidden = false;
    say("You are not signed in to Flattr.", "bad");
    report("error", "unauthorized", "Sign in to Flattr to flattr this.");
    $("signin-user").focus();
  }

  function showThing(t) {
    $("thing-title").textContent = t.title;
    $("thing-owner").textContent = (t.owner && (t.owner.display_name || t.owner.user_id)) || "someone";
    $("thing-host").textContent = (originOf(t.url) || "").replace(/^https?:\/\//, "");
    $("thing").hidden = false;
    document.title = "Flattr \u201c" + t.title + "\u201d";
  }

  function start() {
    if (!id) return fail("thing_not_found", "This link does not name a thing to flattr.");
    var token = localStorage.getItem(KEY);
    if (!token) return needSignIn();
    api("GET", "/things/" + id, token).then(function (r) {
      if (r.status === 401) return needSignIn();
      if (r.status !== 200) { var f = failure(r); return fail(f.code, f.message); }
      showThing(r.data);
      return verified.then(function (ok) {
        var ours = target === location.origin || originOf(r.data.url) === target;
        if (ok && ours) return flattr(token);
        askFirst(token, ok);
      });
    }).catch(function () { fail("error", "Flattr could not be reached. Please try again."); });
  }

  function askFirst(token, fromVerifiedPage) {
    say(fromVerifiedPage ? "This thing lives on another site than the page you came from. Flattr it?"
      : "Flattr this thing?");
    $("confirm").hidden = false;
    $("confirm-yes").onclick = function () { $("confirm").hidden = true; flattr(token); };
    $("confirm-no").onclick = function () {
      $("confirm").hidden = true;
      say(MESSAGES.cancelled);
      report("cancelled", "cancelled", MESSAGES.cancelled);
      closeSoon(300);
    };
    $("confirm-yes").focus();
  }

  function flattr(token) {
    say("Flattring\u2026");
    api("POST", "/things/" + id + "/flattr", token).then(function (r) {
      if (r.status === 401) return needSignIn();
      if (r.status !== 200 && r.status !== 201) { var f = failure(r); return fail(f.code, f.message); }
      var status = r.data.status === "already_flattred" ? "already_flattred" : "flattred";
      return api("GET", "/things/" + id, token).then(function (t) {
        var count = t.status === 200 ? t.data.flattrs : null;
        say(MESSAGES[status], "ok");
        report(status, null, MESSAGES[status], count);
        closeSoon(700);
      });
    }).catch(function () { fail("error", "Flattr could not be reached. Please try again."); });
  }

  function signIn(event) {
    event.preventDefault();
    var user = $("signin-user").value.trim();
    say("Signing in\u2026");
    api("POST", "/_local/token", null, { sub: user, name: user }).then(function (r) {
      if (r.status !== 200 || !r.data.token) {
        return say("Demo sign-in works only on the local stack. Sign in on " + location.host + " first.", "bad");
      }
      localStorage.setItem(KEY, r.data.token);
      localStorage.setItem("flattr.user", user);
      $("signin").hidden = true;
      start();
    }).catch(function () { say("Flattr could not be reached. Please try again.", "bad"); });
  }

  $("signin-form").addEventListener("submit", signIn);
  $("close").addEventListener("click", function () { window.close(); });
  start();
})();
