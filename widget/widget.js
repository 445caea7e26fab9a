/* Flattr button: <div class="flattr-button" data-thing-id="123"> (or data-flattr-url), or [Flattr=123] in
   text; content added later: FlattrWidget.scan(element). A window on our origin flattrs; this page never
   sees the reader's token, only the outcome. */
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
    cancelled: "Not flattred.",
    blocked: "Allow pop-ups for this site to flattr.",
    pending: "Continue in the Flattr window\u2026",
    error: "Something went wrong. Please try again."
  };
  var widgets = [];
  var popup = null; // the window we opened: the only one we hear

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

  function mount(host) {
    var w = { id: idOf(host.getAttribute("data-thing-id") || ""), b: el("button", "flattr-w-b"),
      n: el("span", "flattr-w-n"), m: el("span", "flattr-w-m") };
    var url = host.getAttribute("data-flattr-url");
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
      if (!w.id) return;
      popup = window.open(SITE + "/flattr.html?thing=" + w.id + "&origin=" + encodeURIComponent(location.origin),
        "flattr", "popup,width=460,height=560");
      w.m.textContent = TEXT[popup ? "pending" : "blocked"];
    };
    widgets.push(w);
    label(w);
    var found = w.id ? get("/things/" + w.id) : url ? get("/things/lookup?url=" + encodeURIComponent(url)) : null;
    if (!found) return (w.b.disabled = true);
    found.then(function (t) {
      w.id = String(t.id);
      w.title = t.title;
      w.n.textContent = t.flattrs;
      label(w);
    }, function () {
      if (!w.id) { w.b.disabled = true; w.m.textContent = TEXT.thing_not_found; }
    });
  }

  addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== SITE || !popup || e.source !== popup || !d) return;
    if (d.type === "flattr:hello") { // the window checks who opened it
      return popup.postMessage({ type: "flattr:ready", thing_id: d.thing_id }, SITE);
    }
    var id = idOf(String(d.thing_id));
    if (d.type !== "flattr:result" || !id) return;
    var ok = d.status === "flattred" || d.status === "already_flattred";
    widgets.forEach(function (w) {
      if (w.id !== id) return;
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
    hosts.forEach(mount);
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
      ".flattr-w-b{display:inline-flex;gap:.5em;padding:.3em .4em .3em .7em;border:1px solid #3f7a14;" +
      "border-radius:5px;background:#5aa61f;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
      ".flattr-w-b:focus-visible{outline:3px solid #1a56db}.flattr-w-b.flattred{background:#fff;color:#3f7a14}" +
      ".flattr-w-n{min-width:1.4em;padding:0 .3em;border-radius:3px;" +
      "background:#fff;color:#2f5c0f}.flattr-w-m{font-size:.9em}";
    scan(document.body);
  }

  window.FlattrWidget = { api: API, scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
