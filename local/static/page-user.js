// A creator's public page: their things, each with its count and Flattr button.

import { api, boot, h, thingLink } from "./app.js";

boot(async (content) => {
  const id = new URLSearchParams(location.search).get("id") || "";
  const h1 = h("h1", {});
  document.getElementById("content").before(h1);
  const r = id ? await api("GET", `/users/${encodeURIComponent(id)}/things`) : { ok: false, status: 404, data: {} };
  if (!r.ok) {
    h1.textContent = "No such creator";
    content.append(h("p", {}, "This link names nobody on Flattr."));
    return;
  }
  const things = r.data.things;
  const name = (things[0] && things[0].owner.display_name) || id;
  h1.textContent = name;
  document.title = `${name} · Flattr`;
  if (!things.length) {
    content.append(h("p", { class: "muted" }, `${name} has no public things on Flattr yet.`));
    return;
  }
  const total = things.reduce((a, t) => a + t.flattrs, 0);
  content.append(h("p", { class: "lede" }, `${things.length} things, ${total} flattrs in all.`),
    h("ul", { class: "plain" }, things.map((t) => h("li", {},
      h("h2", {}, thingLink(t.id, t.title)),
      t.description ? h("p", {}, t.description) : null,
      h("p", { class: "muted" }, `${t.flattrs} flattrs · ${t.flattrs_month} this month`),
      h("div", { class: "flattr-button", "data-thing-id": String(t.id) })))));
});
