/* The Flattr button. Generated from widget/src/core.js, widget/src/widget.js by extension/build.py: edit those. */
(function () {
"use strict";
function flattrButtons(o) {
var TAG = /\[Flattr=(\d{1,16})\]/g;
var SKIP = "script,style,textarea,code,pre,noscript,button,a,select,option,svg,math,iframe,[contenteditable]," +
".flattr-w";
var TEXT = {
flattred: "Thanks! You flattred this.",
already_flattred: "You already flattred this thing this month.",
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
var widgets = [], things = {}, queue = [], timer = 0;
var popup = null, opened; // the window we opened (the only one we hear), and its button
function el(tag, cls) {
var e = document.createElement(tag);
e.className = cls || "";
return e;
}
function idOf(s) {
return /^\d{1,16}$/.test(s) && +s > 0 && +s <= 9007199254740991 ? String(+s) : null;
}
function findTags(s) {
var out = [], m, id;
for (TAG.lastIndex = 0; (m = TAG.exec(s));) {
if ((id = idOf(m[1]))) out.push({ start: m.index, end: TAG.lastIndex, id: id });
}
return out;
}
function thing(id) {
return things[id] || (things[id] = new Promise(function (done) {
queue.push({ id: id, done: done });
timer = timer || setTimeout(flush, 0);
}));
}
function flush() {
var q = queue, i;
queue = [];
timer = 0;
for (i = 0; i < q.length; i += 100) batch(q.slice(i, i + 100));
}
function batch(b) {
var ids = b.map(function (x) { return x.id; });
o.get(ids.length > 1 ? "/rest/v2/things/" + ids.join(",") : "/things/" + ids[0]).then(function (r) {
var by = {};
[].concat(r).forEach(function (t) { by[t.id] = t; });
b.forEach(function (x) { x.done(by[x.id] || null); }); // null: no such thing
}, function (status) {
b.forEach(function (x) { x.done(status === 404 ? null : undefined); }); // undefined: unreachable
});
}
function label(w) {
var n = w.n.textContent;
w.b.setAttribute("aria-label", (w.done ? "Flattred" : "Flattr") + (w.title ? " \u201c" + w.title + "\u201d" : "") +
(w.b.disabled ? " (unavailable)" : n ? ", " + n + (n === "1" ? " flattr" : " flattrs") : ""));
}
function off(w, k) {
w.b.disabled = true;
w.n.textContent = "";
w.m.textContent = TEXT[k] || "";
label(w);
}
function open(to, w) { // the flattr window; its answers go to w and every button of the same thing
popup = window.open(to, "flattr", "popup,width=460,height=560");
opened = w;
return !!popup;
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
w.b.onclick = function (e) {
if (o.trusted && !e.isTrusted) return; // a script's click: only the reader's own counts
var to = w.id ? o.site + "/flattr.html?thing=" + w.id + "&origin=" + encodeURIComponent(location.origin)
: auto && o.api + "/submit/auto?" + auto;
if (to) w.m.textContent = TEXT[open(to, w) ? "pending" : "blocked"];
};
widgets.push(w);
if (auto) {
w.title = auto.get("title") || url;
auto.set("origin", location.origin); // the window reports there, and drops it
}
label(w);
if (auto && (!auto.get("user_id") || !/^https?:\/\/[^/]/i.test(url))) return off(w, "invalid");
if (!w.id && !url) return off(w, "invalid");
var found = w.id ? thing(w.id) : o.get("/things/lookup?url=" + encodeURIComponent(url)).then(null,
function (status) { return status === 404 ? null : undefined; });
found.then(function (t) {
if (t === undefined) return; // unreachable: the button stays, the window will say what is wrong
if (t === null) return auto ? (w.n.textContent = 0, label(w)) : off(w, "thing_not_found"); // auto: not yet
if (auto && t.owner.user_id !== auto.get("user_id")) return off(w, "invalid"); // someone else's
w.id = String(t.id);
w.title = t.title;
w.n.textContent = t.flattrs;
label(w);
});
}
addEventListener("message", function (e) {
var d = e.data;
if (e.origin !== o.site || !popup || e.source !== popup || !d) return;
if (d.type === "flattr:hello") { // the window checks who opened it
return popup.postMessage({ type: "flattr:ready", thing_id: d.thing_id }, o.site);
}
var id = idOf(String(d.thing_id)), w0 = opened;
if (d.type !== "flattr:result") return;
if (!w0.id) w0.id = id; // an auto-submitted thing: made now, or (no id) only its button hears
var ok = d.status === "flattred" || d.status === "already_flattred";
if (ok && id && o.onResult) o.onResult(id, d.status);
widgets.forEach(function (w) {
if (id ? w.id !== id : w !== w0 || w0.id) return;
if (typeof d.flattrs === "number") w.n.textContent = d.flattrs;
if (ok) { w.done = true; w.b.classList.add("flattred"); w.b.firstChild.textContent = "Flattred"; }
w.m.textContent = TEXT[ok ? d.status : d.code] || TEXT.error;
label(w);
});
});
function skipped(node) {
return node.nodeType === 1 && (node.matches(SKIP) || node.isContentEditable);
}
function tags(root) {
if (root.nodeType === 3) root = root.parentNode;
if (!root || (root.nodeType !== 1 && root.nodeType !== 11)) return;
if (root.nodeType === 1 && (root.closest(SKIP) || root.isContentEditable)) return;
var walk = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
acceptNode: function (n) {
return skipped(n) ? NodeFilter.FILTER_REJECT : n.nodeType === 3 ? NodeFilter.FILTER_ACCEPT
: NodeFilter.FILTER_SKIP;
}
}), runs = [], run = [], t;
while ((t = walk.nextNode())) {
if (run.length && run[run.length - 1].nextSibling !== t) { runs.push(run); run = []; }
run.push(t);
}
runs.push(run);
runs.forEach(function (run) {
var s = run.map(function (t) { return t.nodeValue; }).join(""), found = findTags(s), last = 0, frag;
if (!found.length) return;
frag = document.createDocumentFragment();
found.forEach(function (f) {
frag.appendChild(document.createTextNode(s.slice(last, f.start)));
var host = frag.appendChild(el("span", "flattr-button"));
host.setAttribute("data-thing-id", f.id);
mount(host);
last = f.end;
});
frag.appendChild(document.createTextNode(s.slice(last)));
run[0].parentNode.replaceChild(frag, run[0]);
run.slice(1).forEach(function (t) { t.parentNode.removeChild(t); });
});
}
function style() {
if (document.getElementById("flattr-w-style")) return;
var s = el("style");
s.id = "flattr-w-style";
s.textContent =
".flattr-w{display:inline-flex;align-items:center;gap:.5em;font:14px/1.3 system-ui,sans-serif}" +
".flattr-w-b{display:inline-flex;gap:.5em;padding:.3em .4em .3em .7em;border:1px solid #2f5c0f;" +
"border-radius:5px;background:#3f7a14;color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
".flattr-w-b:focus-visible{outline:3px solid #1a56db}.flattr-w-b.flattred{background:#fff;color:#2f5c0f}" +
".flattr-w-b:disabled{background:#fff;color:#595959;border:1px dashed #767676;cursor:not-allowed}" +
".flattr-w-n{min-width:1.4em;padding:0 .3em;border-radius:3px;" +
"background:#fff;color:#2f5c0f}.flattr-w-n:empty{display:none}.flattr-w-m{font-size:.9em}";
(document.head || document.documentElement).appendChild(s);
}
return { mount: mount, tags: tags, findTags: findTags, style: style, idOf: idOf, el: el,
flattr: function (id) { // no button of its own (the extension's toolbar): true if the window opened
id = idOf(String(id));
return !!id && open(o.site + "/flattr.html?thing=" + id + "&origin=" + encodeURIComponent(location.origin),
{ id: id });
} };
}
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
})();
