/* Överallt's content script: [Flattr=ID] tags in this page's text become buttons, also in text added
   later, unless the page runs our widget (then it draws them, and a tag never gets two buttons).
   What leaves the browser: the thing ids of the tags, sent by our background script to fetch counts. */
var ext = globalThis.browser || globalThis.chrome;
if (window.__flattrOverallt || !document.body) return;
window.__flattrOverallt = true; // this script's own world: one copy per page, however often injected
var D = globalThis.FLATTR_DEFAULTS || {};

function ours() { // the page runs our widget: it marks the document, or its script is still loading
  return document.documentElement.hasAttribute("data-flattr-widget") ||
    !!document.querySelector('script[src="' + D.site + '/widget.js"]');
}

ext.storage.local.get(["api", "site", "sites"]).then(function (s) {
  var api = s.api || D.api, site = s.site || s.api || D.site, host = location.hostname;
  if ((s.sites || {})[host] === false || ours()) return;
  if (location.origin === site || location.origin === new URL(api).origin) return; // our pages draw their own
  var B = flattrButtons({
    site: site, trusted: true,
    get: function (path) {
      return ext.runtime.sendMessage({ type: "get", path: path }).then(function (r) {
        if (!r || !r.ok) throw (r && r.status) || 0;
        return r.body;
      });
    },
    onResult: function (id, status) { ext.runtime.sendMessage({ type: "flattred", id: id, status: status }); }
  });
  var pending = [], timer = 0;
  B.style();
  B.tags(document.body);
  var watch = new MutationObserver(function (list) {
    if (ours()) return watch.disconnect();
    list.forEach(function (m) {
      if (m.type === "characterData") pending.push(m.target);
      else [].forEach.call(m.addedNodes, function (n) { pending.push(n); });
    });
    timer = timer || setTimeout(function () {
      var now = pending;
      pending = [];
      timer = 0;
      now.forEach(function (n) { if (n.isConnected) B.tags(n); });
    }, 50);
  });
  watch.observe(document.body, { childList: true, characterData: true, subtree: true });
});
