/* Options: the API's URL, everywhere on or off (asks for access to all sites only when turned on, and
   gives it back when turned off), and the per-site switches made from the toolbar. */
var $ = function (id) { return document.getElementById(id); };

function listSites(sites) {
  var ul = $("sites");
  ul.textContent = "";
  Object.keys(sites).sort().forEach(function (host) {
    var li = ul.appendChild(document.createElement("li")), box = document.createElement("input");
    var label = li.appendChild(document.createElement("label"));
    box.type = "checkbox";
    box.checked = sites[host];
    label.append(box, " " + host);
    box.onchange = function () {
      sites[host] = box.checked;
      ext.storage.local.set({ sites: sites });
    };
  });
  if (!ul.children.length) ul.appendChild(document.createElement("li")).textContent = "None yet.";
}

settings().then(function (s) {
  $("api").value = s.api;
  $("site").value = s.site === s.api ? "" : s.site;
  $("everywhere").checked = s.everywhere;
  listSites(s.sites);
});

$("everywhere").onchange = function () { // the permission prompt needs this click, so it is asked at once
  var on = $("everywhere").checked;
  (on ? ext.permissions.request({ origins: EVERYWHERE }) : ext.permissions.remove({ origins: EVERYWHERE }).then(
    function () { return false; }, function () { return false; })).then(function (granted) {
    $("everywhere").checked = on && granted;
    return ext.storage.local.set({ everywhere: on && granted });
  });
};

$("form").onsubmit = function (e) {
  e.preventDefault();
  var api = $("api").value.trim().replace(/\/+$/, ""), site = $("site").value.trim().replace(/\/+$/, "");
  ext.storage.local.set({ api: api, site: site }).then(function () { $("saved").textContent = "Saved."; });
};
