/* The first-party flattr window: /flattr.html?thing=<id>&origin=<the embedding page's origin>.
 *
 * Or /flattr.html?submit=<auto-submit URL>, where our /submit/auto redirects for a thing that is not
 * registered yet: the reader confirms, and POST /rest/v2/flattr makes the thing for the owner the URL
 * names and flattrs it. The widget puts the embedding page's origin in the auto-submit URL as `origin`
 * (the redirect keeps only that URL); it is dropped again before the URL is sent.
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
  var submit = id ? null : autoSubmit(params.get("submit"));
  var target = httpOrigin(params.get("origin") || (submit && submit.origin));
  var opener = target && window.opener ? window.opener : null; // we report only to a valid origin
  var verified = verify();

  var MESSAGES = {
    flattred: "Flattred. Thank you! Your budget is shared among everything you flattr this month.",
    already_flattred: "You already flattred this thing this month.",
    cancelled: "Not flattred.",
  };
  // v2's error codes, as the widget knows them; the others are the same in both versions.
  var V2_CODES = { not_found: "thing_not_found", validation: "invalid", invalid_parameters: "invalid",
    invalid_request: "invalid" };

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

  // An auto-submit URL (any host, path ending in /submit/auto): its query, and the URL to send without
  // our `origin`. Null for anything else.
  function autoSubmit(s) {
    var u;
    try { u = new URL(s || ""); } catch (e) { return null; }
    if ((u.protocol !== "http:" && u.protocol !== "https:") || !/\/submit\/auto\/?$/.test(u.pathname)) return null;
    var from = u.searchParams.get("origin");
    u.searchParams.delete("origin");
    return { url: u.href, q: u.searchParams, origin: from };
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
    if (typeof err === "string") err = { code: V2_CODES[err] || err, message: r.data.error_description }; // v2's shape
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
    $("signin-link").href = "signin.html?return=" + encodeURIComponent(location.href);
    $("signin-link").focus();
  }

  function showThing(t) {
    $("thing-title").textContent = t.title;
    $("thing-owner").textContent = (t.owner && (t.owner.display_name || t.owner.user_id)) || "someone";
    $("thing-host").textContent = (originOf(t.url) || "").replace(/^https?:\/\//, "");
    $("thing").hidden = false;
    document.title = "Flattr \u201c" + t.title + "\u201d";
  }

  function start() {
    if (submit || params.has("submit")) return startSubmit();
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
        askFirst(token, ok ? "This thing lives on another site than the page you came from. Flattr it?"
          : "Flattr this thing?");
      });
    }).catch(function () { fail("error", "Flattr could not be reached. Please try again."); });
  }

  // A thing not on Flattr yet: always the reader's confirmation first, since it is made for its owner.
  function startSubmit() {
    var q = submit && submit.q;
    var url = q && q.get("url"), owner = q && q.get("user_id");
    if (!owner || !/^https?:\/\/[^/]/i.test(url || "")) {
      return fail("invalid", "This Flattr link does not name an owner and a page.");
    }
    showThing({ title: q.get("title") || url, url: url, owner: { user_id: owner } });
    $("thing-url").textContent = url;
    $("thing-url").hidden = false;
    var token = localStorage.getItem(KEY);
    if (!token) return needSignIn();
    askFirst(token, "This page is not on Flattr yet: your flattr adds it for " + owner + ". Flattr it?");
  }

  function askFirst(token, question) {
    say(question);
    $("confirm").hidden = false;
    $("confirm-yes").onclick = function () { $("confirm").hidden = true; (submit ? flattrNew : flattr)(token); };
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
    var before = null; // counts trail a click by a moment (they are tallied from a stream)
    api("GET", "/things/" + id, token).then(function (t) {
      if (t.status === 200 && typeof t.data.flattrs === "number") before = t.data.flattrs;
      return api("POST", "/things/" + id + "/flattr", token);
    }).then(function (r) {
      if (r.status === 401) return needSignIn();
      if (r.status !== 200 && r.status !== 201) { var f = failure(r); return fail(f.code, f.message); }
      return done(r.data.status === "already_flattred" ? "already_flattred" : "flattred", token, before);
    }).catch(function () { fail("error", "Flattr could not be reached. Please try again."); });
  }

  function done(status, token, before) {
    return api("GET", "/things/" + id, token).then(function (t) {
      var count = t.status === 200 ? t.data.flattrs : null;
      // A new flattr counts at once, even before the tally has brought it into the thing's count.
      if (status === "flattred" && typeof before === "number" && typeof count === "number") {
        count = Math.max(count, before + 1);
      }
      say(MESSAGES[status], "ok");
      report(status, null, MESSAGES[status], count);
      closeSoon(700);
    });
  }

  // v2's flattr by URL: an auto-submit URL's thing is made (for its owner) if it does not exist yet.
  function flattrNew(token) {
    say("Flattring\u2026");
    api("POST", "/rest/v2/flattr", token, { url: submit.url }).then(function (r) {
      var code = r.data && r.data.error;
      if (code === "unauthorized") return needSignIn(); // v2 says 401 for no_means too
      if (r.status === 200 && r.data.thing) {
        id = thingId(String(r.data.thing.id));
        return done("flattred", token);
      }
      if (code !== "flattr_once") { var f = failure(r); return fail(f.code, f.message); }
      // Already flattred this month: v2 does not say which thing, so look it up for the reader's button.
      return api("GET", "/things/lookup?url=" + encodeURIComponent(submit.q.get("url")), token).then(function (t) {
        id = t.status === 200 ? thingId(String(t.data.id)) : null;
        return done("already_flattred", token);
      });
    }).catch(function () { fail("error", "Flattr could not be reached. Please try again."); });
  }

  $("close").addEventListener("click", function () { window.close(); });
  start();
})();
