/* Överallt's background: fetches counts for the content script (thing ids only, no page URL), keeps the
   content script registered where the user allowed it, and remembers this month's flattrs for the badge. */
if (typeof importScripts === "function" && typeof settings === "undefined") importScripts("config.js", "settings.js");

var ID = /^\d{1,16}$/;

function allowed(path) { // the only reads a content script may ask for: things by id
  var m = /^\/things\/(\d{1,16})$/.exec(path) || /^\/rest\/v2\/things\/([\d,]{1,1700})$/.exec(path);
  return !!m && m[1].split(",").every(function (id) { return ID.test(id); });
}

ext.runtime.onMessage.addListener(function (msg, sender, reply) {
  if (!msg || sender.id !== ext.runtime.id) return false;
  if (msg.type === "get" && allowed(msg.path)) {
    settings().then(function (s) {
      return fetch(s.api + msg.path, { credentials: "omit" }).then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          reply({ ok: r.ok, status: r.status, body: body });
        });
      });
    }).catch(function () { reply({ ok: false, status: 0 }); });
    return true; // replies later
  }
  if (msg.type === "flattred" && ID.test(msg.id)) {
    if (sender.tab) {
      ext.action.setBadgeText({ tabId: sender.tab.id, text: "\u2713" });
      ext.action.setTitle({ tabId: sender.tab.id, title: "Flattr: you flattred here this month" });
    }
    flattredIds().then(function (ids) {
      if (ids.indexOf(msg.id) < 0) ids = ids.concat(msg.id).slice(-1000);
      return ext.storage.local.set({ flattred: { month: monthNow(), ids: ids } });
    });
  }
  return false;
});

ext.runtime.onInstalled.addListener(function () { syncScripts(); });
ext.runtime.onStartup && ext.runtime.onStartup.addListener(function () { syncScripts(); });
ext.permissions.onRemoved.addListener(function () { syncScripts(); });
ext.storage.onChanged.addListener(function (changes) {
  if (changes.everywhere || changes.sites) syncScripts();
});
