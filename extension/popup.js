/* The toolbar button: this page's URL is looked up (only now, on the user's click), and flattred through
   our first-party flattr window, which asks the reader there. The badge says what was found. */
var $ = function (id) { return document.getElementById(id); };

function say(text) { $("status").textContent = text; }

function badge(tabId, text, title) {
  ext.action.setBadgeText({ tabId: tabId, text: text });
  ext.action.setBadgeBackgroundColor({ tabId: tabId, color: "#2f5c0f" });
  ext.action.setTitle({ tabId: tabId, title: title });
}

function openWindow(url) {
  ext.windows.create({ url: url, type: "popup", width: 460, height: 600 });
  window.close();
}

// Through the page's own button code (the content script), so that our window hears back from the page it
// flattrs, as from a button there, and the badge learns the outcome; a new window if the page can't open one.
function flattrHere(tab, s, id) {
  var target = { tabId: tab.id };
  ext.scripting.executeScript({ target: target, files: ["config.js", "content.js"] }).then(function () {
    return ext.scripting.executeScript({ target: target, args: [id], func: function (id) {
      return window.__flattrOverallt.then(function (B) { return B.flattr(id); });
    } });
  }).then(function (r) { return r[0] && r[0].result; }, function () { return false; }).then(function (opened) {
    if (opened) return window.close();
    openWindow(s.site + "/flattr.html?thing=" + id);
  });
}

function paymentLinks(tabId) { // the page's <link rel="payment"> hrefs, read with the user's click (activeTab)
  return ext.scripting.executeScript({ target: { tabId: tabId }, func: function () {
    return [].map.call(document.querySelectorAll("link[rel~=payment i]"), function (l) { return l.href; });
  } }).then(function (r) { return (r[0] && r[0].result) || []; }, function () { return []; });
}

function autoSubmit(hrefs) {
  for (var i = 0; i < hrefs.length; i++) {
    try {
      var u = new URL(hrefs[i]);
      if (/^https?:$/.test(u.protocol) && /\/submit\/auto\/?$/.test(u.pathname) && u.searchParams.get("user_id") &&
          /^https?:\/\/[^/]/i.test(u.searchParams.get("url") || "")) return u;
    } catch (e) { /* not a URL */ }
  }
  return null;
}

function found(tab, s, t) {
  return flattredIds().then(function (ids) {
    var done = ids.indexOf(String(t.id)) >= 0;
    $("title").textContent = t.title;
    $("count").textContent = t.flattrs + (t.flattrs === 1 ? " flattr" : " flattrs");
    $("thing").hidden = false;
    say(done ? "You flattred this page this month." : "This page is on Flattr.");
    badge(tab.id, done ? "\u2713" : "+", done ? "Flattr: you flattred this page this month" : "Flattr: this page is flattrable");
    $("flattr").hidden = false;
    $("flattr").onclick = function () { flattrHere(tab, s, t.id); };
  });
}

function notFound(tab, s) {
  return paymentLinks(tab.id).then(function (hrefs) {
    var u = autoSubmit(hrefs);
    if (!u) {
      badge(tab.id, "", "Flattr: nobody has registered this page");
      return say("Nobody has registered this page on Flattr.");
    }
    badge(tab.id, "+", "Flattr: this page names its owner, so it is flattrable");
    say("Not on Flattr yet, but the page names its owner, " + u.searchParams.get("user_id") +
      ". Your flattr adds it to Flattr for them.");
    $("flattr").hidden = false;
    $("flattr").onclick = function () { openWindow(s.api + "/submit/auto" + u.search); };
  });
}

function siteSwitch(tab, s, host) {
  $("host").textContent = host;
  $("here").checked = s.sites[host] === true || (s.everywhere && s.sites[host] !== false);
  $("here").onchange = function () {
    var on = $("here").checked, sites = s.sites;
    var asked = on ? ext.permissions.request({ origins: sitePatterns(host) }) : Promise.resolve(true);
    asked.then(function (granted) {
      if (!granted) { $("here").checked = false; return; }
      sites[host] = on;
      return ext.storage.local.set({ sites: sites }).then(function () {
        if (on) return ext.scripting.executeScript({ target: { tabId: tab.id }, files: ["config.js", "content.js"] });
      });
    });
  };
}

var shown = /^#tab=(\d+)$/.exec(location.hash); // popup.html#tab=<id> opened as a page: about that tab
var tabs = shown ? ext.tabs.get(+shown[1]).then(function (t) { return [t]; })
  : ext.tabs.query({ active: true, currentWindow: true });

Promise.all([tabs, settings()]).then(function (r) {
  var tab = r[0][0], s = r[1], url;
  try { url = new URL(tab.url); } catch (e) { url = null; }
  if (!url || !/^https?:$/.test(url.protocol)) {
    $("here").disabled = true;
    return say("Flattr works on web pages only.");
  }
  siteSwitch(tab, s, url.hostname);
  return fetch(s.api + "/things/lookup?url=" + encodeURIComponent(tab.url), { credentials: "omit" }).then(function (res) {
    if (res.status === 404) return notFound(tab, s);
    if (!res.ok) throw res.status;
    return res.json().then(function (t) { return found(tab, s, t); });
  });
}).catch(function () { say("Flattr could not be reached. Check the API's URL in the options."); });
