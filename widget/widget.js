/* Flattr button: <div class="flattr-button" data-thing-id="123"> (or data-flattr-url), [Flattr=123] in
   text, <link rel="payment" href=".../submit/auto?..."> (see README); content added later:
   FlattrWidget.scan(element). A window on our origin flattrs; this page never sees the reader's token. */
(function () {
  "use strict";
  if (window.FlattrWidget) return;
  var me = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  var SITE = new URL(me.src, location.href).origin, API = me.getAttribute("data-api") || SITE;
  var TAG = /\[Flattr=(\d{1,16})\]/g;
  var SKIP = "script,style,textarea,code,pre,noscript,button,a,select,[contenteditable],.flattr-w";
  var TEXT = {
    flattred: "Thanks! You flattred this.",
    already_flattred: "You already flattred this this month.",
    unauthorized: "Sign in to Flattr in the window that opened.",
    no_means: "Add funds and a monthly budget on Flattr first.",
    flattr_owner: "This is your own thing: you can't flattr it.",
    owner_not_participating: "Its owner doesn't give on Flattr yet, so it can't take flattrs.",
    month_closed: "Your month is already settled: try again next month.",
    thing_not_found: "This thing isn't on Flattr.",
    invalid: "This Flattr link is not valid.",
    cancelled: "Not flattred.",
    blocked: "Allow pop-ups for this site to flattr.",
    pending: "Continue in the Flattr window\u2026",
    error: "Something went wrong. Please try again."
  };
  var widgets = [];
  var popup = null, opened; // the window we opened (the only one we hear), and its button

  function el(tag, cls) {
    var e = document.createElement(tag);
    e.className = cls || "";
    return e;
  }

  function idOf(s) {
    return /^\d{1,16}$/.test(s) && +s > 0 && +s <= 9007199254740991 ? String(+s) : null;
  }

  function get(path) {
    return fetch(API + path, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.json();
    });
  }

  function label(w) {
    var n = w.n.textContent;
    w.b.setAttribute("aria-label", (w.done ? "Flattred" : "Flattr") + (w.title ? " \u201c" + w.title + "\u201d" : "") +
      (n ? ", " + n + (n === "1" ? " flattr" : " flattrs") : ""));
  }

  function off(w, k) {
    w.b.disabled = true;
    w.m.textContent = TEXT[k];
  }

  function mount(host, auto) { // auto: an auto-submit URL's query
    var w = { id: idOf(host.getAttribute("data-thing-id") || ""), b: el("button", "flattr-w-b"),
      n: el("span", "flattr-w-n"), m: el("span", "flattr-w-m") };
    var url = auto ? auto.get("url") : host.getAttribute("data-flattr-url");
    host.setAttribute("data-flattr-ready", "");
    host.classList.add("flattr-w");
    host.textContent = "";
    w.b.type = "button";
    w.b.appendChild(el("span")).textContent = "Flattr";
    w.b.appendChild(w.n);
    w.m.setAttribute("role", "status");
    w.m.setAttribute("aria-live", "polite");
    host.appendChild(w.b);
    host.appendChild(w.m);
    w.b.onclick = function () {
      var to = w.id ? SITE + "/flattr.html?thing=" + w.id + "&origin=" + encodeURIComponent(location.origin)
        : auto && API + "/submit/auto?" + auto;
      if (!to) return;
      popup = window.open(to, "flattr", "popup,width=460,height=560");
      opened = w;
      w.m.textContent = TEXT[popup ? "pending" : "blocked"];
    };
    widgets.push(w);
    if (auto) {
      w.title = auto.get("title") || url;
      auto.set("origin", location.origin); // the window reports there, and drops it
    }
    label(w);
    if (auto && (!auto.get("user_id") || !/^https?:\/\/[^/]/i.test(url))) return off(w, "invalid");
    var found = w.id ? get("/things/" + w.id) : url ? get("/things/lookup?url=" + encodeURIComponent(url)) : null;
    if (!found) return off(w);
    found.then(function (t) {
      if (auto && t.owner.user_id !== auto.get("user_id")) return off(w, "invalid"); // someone else's
      w.id = String(t.id);
      w.title = t.title;
      w.n.textContent = t.flattrs;
      label(w);
    }, function (status) {
      if (auto) { if (status === 404) w.n.textContent = 0; label(w); } // not submitted yet
      else if (!w.id) off(w, "thing_not_found");
    });
  }

  function links(root) { // on any host: flattr.com's too
    [].forEach.call(root.querySelectorAll("link[rel~=payment i]:not([data-flattr-ready])"), function (l) {
      var u = el("a");
      u.href = l.href; // an anchor parses any href without throwing
      l.setAttribute("data-flattr-ready", "");
      if (/^https?:$/.test(u.protocol) && /\/submit\/auto\/?$/.test(u.pathname))
        mount(document.querySelector("[data-flattr-payment]:not([data-flattr-ready])") ||
          document.body.appendChild(el("div")), new URLSearchParams(u.search));
    });
  }

  addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== SITE || !popup || e.source !== popup || !d) return;
    if (d.type === "flattr:hello") { // the window checks who opened it
      return popup.postMessage({ type: "flattr:ready", thing_id: d.thing_id }, SITE);
    }
    var id = idOf(String(d.thing_id)), o = opened;
    if (d.type !== "flattr:result") return;
    if (!o.id) o.id = id; // an auto-submitted thing: made now, or (no id) only its button hears
    var ok = d.status === "flattred" || d.status === "already_flattred";
    widgets.forEach(function (w) {
      if (id ? w.id !== id : w !== o || o.id) return;
      if (typeof d.flattrs === "number") w.n.textContent = d.flattrs;
      if (ok) { w.done = true; w.b.classList.add("flattred"); w.b.firstChild.textContent = "Flattred"; }
      w.m.textContent = TEXT[ok ? d.status : d.code] || TEXT.error;
      label(w);
    });
  });

  function scan(root) {
    root = root || document.body;
    var hosts = [].slice.call(root.querySelectorAll(".flattr-button:not([data-flattr-ready])"));
    if (root.matches(".flattr-button:not([data-flattr-ready])")) hosts.push(root);
    hosts.forEach(function (h) { mount(h); });
    links(root);
    var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), texts = [], t;
    while ((t = walk.nextNode())) {
      if (t.nodeValue.indexOf("[Flattr=") >= 0 && !t.parentNode.closest(SKIP)) texts.push(t);
    }
    texts.forEach(function (t) {
      var s = t.nodeValue, frag = document.createDocumentFragment(), last = 0, m, host;
      for (TAG.lastIndex = 0; (m = TAG.exec(s)); last = TAG.lastIndex) {
        frag.appendChild(document.createTextNode(s.slice(last, m.index)));
        host = frag.appendChild(el("span", "flattr-button"));
        host.setAttribute("data-thing-id", m[1]);
        mount(host);
      }
      if (!last) return;
      frag.appendChild(document.createTextNode(s.slice(last)));
      t.parentNode.replaceChild(frag, t);
    });
  }

  function start() {
    document.head.appendChild(el("style")).textContent =
      ".flattr-w{display:inline-flex;align-items:center;gap:.5em;font:14px/1.3 system-ui,sans-serif}" +
      ".flattr-w-b{display:inline-flex;gap:.5em;padding:.3em .4em .3em .7em;border:1px solid #2f5c0f;" +
      "border-radius:5px;background:#3f7a14;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
      ".flattr-w-b:focus-visible{outline:3px solid #1a56db}.flattr-w-b.flattred{background:#fff;color:#2f5c0f}" +
      ".flattr-w-n{min-width:1.4em;padding:0 .3em;border-radius:3px;" +
      "background:#fff;color:#2f5c0f}.flattr-w-m{font-size:.9em}";
    links(document.head);
    scan(document.body);
  }

  window.FlattrWidget = { api: API, scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
