/* Flattr button: <div class="flattr-button" data-thing-id="123"> (or data-flattr-url), [Flattr=123] in
   text, <link rel="payment" href=".../submit/auto?..."> (see README); content added later:
   FlattrWidget.scan(element). A window on our origin flattrs; this page never sees the reader's token. */
if (window.FlattrWidget) return;
document.documentElement.setAttribute("data-flattr-widget", ""); // the extension leaves this page to us
var me = document.currentScript || document.querySelector('script[src$="/widget.js"]');
var SITE = new URL(me.src, location.href).origin, API = me.getAttribute("data-api") || SITE;
var B = flattrButtons({ site: SITE, api: API, get: function (path) {
  return fetch(API + path, { credentials: "omit" }).then(function (r) {
    if (!r.ok) throw r.status;
    return r.json();
  });
} });

function links(root) { // on any host: flattr.com's too
  [].forEach.call(root.querySelectorAll("link[rel~=payment i]:not([data-flattr-ready])"), function (l) {
    var u = B.el("a");
    u.href = l.href; // an anchor parses any href without throwing
    l.setAttribute("data-flattr-ready", "");
    if (/^https?:$/.test(u.protocol) && /\/submit\/auto\/?$/.test(u.pathname))
      B.mount(document.querySelector("[data-flattr-payment]:not([data-flattr-ready])") ||
        document.body.appendChild(B.el("div")), new URLSearchParams(u.search));
  });
}

function scan(root) {
  root = root || document.body;
  var hosts = [].slice.call(root.querySelectorAll(".flattr-button:not([data-flattr-ready])"));
  if (root.matches(".flattr-button:not([data-flattr-ready])")) hosts.push(root);
  hosts.forEach(function (h) { B.mount(h); });
  links(root);
  B.tags(root);
}

function start() {
  B.style();
  links(document.head);
  scan(document.body);
}

window.FlattrWidget = { api: API, scan: scan };
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
