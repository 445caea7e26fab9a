/* Överallt's content script: [Flattr=ID] tags in this page's text become buttons, also in text added
   later, unless the page runs our widget (then it draws them, and a tag never gets two buttons).
   What leaves the browser: the thing ids of the tags, sent by our background script to fetch counts. */
var ext = globalThis.browser || globalThis.chrome;
if (window.__flattrOverallt || !document.body) return; // this script's own world: one copy per page
var D = globalThis.FLATTR_DEFAULTS || {}, SITE = D.site;

function ours() { // the page runs our widget: it marks the document, or its script is still loading
  return document.documentElement.hasAttribute("data-flattr-widget") ||
    !!document.querySelector('script[src="' + SITE + '/widget.js"]');
}

// A promise of the button code, also for the toolbar: popup.js flattrs this page's thing through it.
window.__flattrOverallt = ext.storage.local.get(["api", "site", "everywhere", "sites"]).then(function (s) {
  var api = s.api || D.api, site = SITE = new URL(s.site || s.api || D.site).origin;
  var mine = (s.sites || {})[location.hostname];
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
  if (!(mine === true || (s.everywhere && mine !== false)) || ours()) return B; // tags are off here
  if (location.origin === site || location.origin === new URL(api).origin) return B; // our pages draw their own
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
  return B;
});
