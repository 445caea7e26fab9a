// A thing's public page: title, description, creator, count, the Flattr button and the QR code.

import { api, boot, h, must, onSubmit, userLink } from "./app.js";
import { qrBlock } from "./snippets.js";

function subscribe(thing) {
  const status = h("p", { class: "status", role: "status" });
  const form = h("form", { class: "row" },
    h("div", {}, h("label", { for: "sub-months" }, "Flattr it every month for"),
      h("select", { id: "sub-months", name: "months" }, [3, 6, 12].map((n) => h("option", { value: n }, `${n} months`)))),
    h("button", { type: "submit" }, "Subscribe"));
  onSubmit(form, status, async (data) => {
    const s = await must("POST", `/things/${thing.id}/subscription`, { months: Number(data.get("months")) });
    return `Subscribed: flattred every month from ${s.first_month} to ${s.last_month}.`;
  });
  return h("section", { class: "card", "aria-labelledby": "sub-h" }, h("h2", { id: "sub-h" }, "Subscribe"), form, status);
}

boot(async (content, me) => {
  const id = new URLSearchParams(location.search).get("id") || "";
  const r = /^\d{1,16}$/.test(id) ? await api("GET", `/things/${id}`) : { status: 404 };
  const h1 = h("h1", {});
  document.getElementById("content").before(h1);
  if (r.status === 404) {
    h1.textContent = "No such thing";
    content.append(h("p", {}, "Nothing on Flattr has this address. It may have been deleted. ", h("a", { href: "index.html" }, "Go to your month"), "."));
    return;
  }
  if (!r.ok) throw new Error(r.data.error ? r.data.error.message : `HTTP ${r.status}`);
  const t = r.data;
  h1.textContent = t.title;
  document.title = `${t.title} · Flattr`;
  const button = h("div", { class: "flattr-button", "data-thing-id": String(t.id) });
  content.append(h("div", { class: "public-thing" },
    h("div", {},
      h("p", {}, "By ", userLink(t.owner.user_id, t.owner.display_name || t.owner.user_id), " · ",
        h("a", { href: t.url, rel: "noopener" }, new URL(t.url).host)),
      t.description ? h("p", { id: "description" }, t.description) : null,
      h("p", { class: "count", id: "count" }, `${t.flattrs} flattrs`),
      h("p", { class: "muted" }, `${t.flattrs_month} this month`),
      button,
      h("p", { class: "hint" }, "Your monthly budget is split equally among everything you flattr this month; a flattr never costs extra.")),
    h("div", {}, h("h2", {}, "Scan to flattr"), qrBlock(t))));
  if (me && me.user !== t.owner.user_id) content.append(subscribe(t));
});
