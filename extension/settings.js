/* Settings, shared by the background, the toolbar popup and the options page.
   storage.local: api (the API's base URL), site (our pages' origin; the API's by default),
   everywhere (tags become buttons on every site), sites {hostname: true|false} (the per-site switch),
   flattred {month, ids} (what this browser flattred this month, for the badge). Never a token. */
var ext = globalThis.browser || globalThis.chrome;
var EVERYWHERE = ["http://*/*", "https://*/*"];

function settings() {
  return ext.storage.local.get(["api", "site", "everywhere", "sites"]).then(function (s) {
    var api = (s.api || FLATTR_DEFAULTS.api).replace(/\/+$/, "");
    return { api: api, site: new URL(s.site || (s.api ? api : FLATTR_DEFAULTS.site)).origin, // our pages' origin
      everywhere: !!s.everywhere, sites: s.sites || {} };
  });
}

function sitePatterns(host) { return ["http://" + host + "/*", "https://" + host + "/*"]; }

function hostsWhere(sites, on) {
  return Object.keys(sites).filter(function (h) { return sites[h] === on; });
}

// Where the content script runs: everywhere but the sites switched off, or only the sites switched on.
function registration(s) {
  var on = [].concat.apply([], hostsWhere(s.sites, true).map(sitePatterns));
  var off = [].concat.apply([], hostsWhere(s.sites, false).map(sitePatterns));
  var matches = s.everywhere ? EVERYWHERE : on;
  if (!matches.length) return null;
  var r = { id: "tags", js: ["config.js", "content.js"], matches: matches, runAt: "document_idle" };
  if (s.everywhere && off.length) r.excludeMatches = off;
  return r;
}

function syncScripts() {
  return settings().then(function (s) {
    return ext.scripting.getRegisteredContentScripts().then(function (old) {
      return old.length ? ext.scripting.unregisterContentScripts({ ids: ["tags"] }) : null;
    }).then(function () {
      var r = registration(s);
      return r ? ext.scripting.registerContentScripts([r]) : null;
    });
  });
}

function monthNow() { return new Date().toISOString().slice(0, 7); } // the API's months are UTC

function flattredIds() {
  return ext.storage.local.get("flattred").then(function (s) {
    var f = s.flattred;
    return f && f.month === monthNow() ? f.ids : [];
  });
}
