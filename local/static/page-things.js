// My things: register, edit, hide, delete; each with its snippets and QR code.

import { api, boot, h, must, onSubmit, problem, say, thingLink } from "./app.js";
import { qrBlock, snippetBlock } from "./snippets.js";

function field(id, label, input, hint) {
  return [h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null];
}

function registerForm(onAdded) {
  const status = h("p", { class: "status", role: "status" });
  const form = h("form", { class: "stack", id: "register" },
    ...field("new-url", "URL", h("input", { id: "new-url", name: "url", type: "url", required: true, placeholder: "https://…", "aria-describedby": "new-url-hint" }),
      "The page people flattr: a post, a song, a project."),
    ...field("new-title", "Title", h("input", { id: "new-title", name: "title", required: true, minlength: 5, maxlength: 100 })),
    ...field("new-description", "Description (optional)", h("textarea", { id: "new-description", name: "description", rows: 3, maxlength: 1000 })),
    h("label", { class: "check", for: "new-hidden" }, h("input", { type: "checkbox", id: "new-hidden", name: "hidden" }), "Hide it from listings"),
    h("button", { type: "submit", class: "primary" }, "Register"), status);
  onSubmit(form, status, async (data) => {
    const thing = await must("POST", "/things", {
      url: data.get("url").trim(), title: data.get("title").trim(),
      description: data.get("description").trim(), hidden: data.get("hidden") === "on" });
    form.reset();
    onAdded(thing);
    return `Registered “${thing.title}”. Its button and snippets are below.`;
  });
  return form;
}

function editForm(thing, card) {
  const status = h("p", { class: "status", role: "status" });
  const id = `edit-${thing.id}`;
  const form = h("form", { class: "stack" },
    ...field(`${id}-title`, "Title", h("input", { id: `${id}-title`, name: "title", value: thing.title, required: true, minlength: 5, maxlength: 100 })),
    ...field(`${id}-description`, "Description", h("textarea", { id: `${id}-description`, name: "description", rows: 3, maxlength: 1000 }, thing.description || "")),
    h("label", { class: "check", for: `${id}-hidden` }, h("input", { type: "checkbox", id: `${id}-hidden`, name: "hidden", checked: !!thing.hidden }), "Hidden from listings"),
    h("button", { type: "submit", class: "primary" }, "Save"), status);
  onSubmit(form, status, async (data) => {
    await must("PATCH", `/rest/v2/things/${thing.id}`, {
      title: data.get("title").trim(), description: data.get("description").trim(), hidden: data.get("hidden") === "on" });
    const fresh = await must("GET", `/things/${thing.id}`);
    card.replaceWith(thingCard(fresh));
    return "Saved.";
  });
  return form;
}

function deleteControl(thing, card) {
  const status = h("span", { class: "status", role: "status" });
  const ask = h("button", { type: "button", class: "danger", "aria-label": `Delete “${thing.title}”` }, "Delete");
  const confirm = h("span", { hidden: true }, `Delete “${thing.title}” for good? `,
    h("button", { type: "button", class: "danger", onclick: async () => {
      const r = await api("DELETE", `/rest/v2/things/${thing.id}`);
      if (r.ok) card.replaceWith(h("p", { class: "notice" }, `Deleted “${thing.title}”.`));
      else say(status, problem(r), "bad");
    } }, "Yes, delete it"), " ",
    h("button", { type: "button", onclick: () => { confirm.hidden = true; ask.hidden = false; ask.focus(); } }, "Keep it"));
  ask.addEventListener("click", () => { ask.hidden = true; confirm.hidden = false; confirm.querySelector("button").focus(); });
  return h("span", {}, ask, confirm, status);
}

function thingCard(thing) {
  const card = h("article", { class: "thing-card", "aria-labelledby": `t-${thing.id}` });
  card.append(
    h("h3", { id: `t-${thing.id}` }, thingLink(thing.id, thing.title), thing.hidden ? h("span", { class: "muted" }, " (hidden)") : null),
    h("p", { class: "muted" }, thing.url, ` · ${thing.flattrs} flattrs, ${thing.flattrs_month} this month`),
    h("details", {}, h("summary", {}, `Edit “${thing.title}”`), editForm(thing, card)),
    h("details", { class: "snippets" }, h("summary", {}, `Snippets and QR code for “${thing.title}”`),
      h("div", { class: "public-thing" }, h("div", {}, ...snippetBlock(thing)), qrBlock(thing))),
    h("p", {}, deleteControl(thing, card)));
  return card;
}

boot(async (content, session) => {
  const list = h("div", { id: "thing-list" });
  const { things } = await must("GET", `/users/${encodeURIComponent(session.user)}/things`);
  const empty = h("p", { class: "muted", id: "no-things" }, "No things yet: register the first one above.");
  content.append(
    h("section", { class: "card", "aria-labelledby": "reg-h" }, h("h2", { id: "reg-h" }, "Register a thing"),
      registerForm((thing) => { empty.remove(); const card = thingCard(thing); list.prepend(card); card.querySelector("details.snippets").open = true; })),
    h("section", { "aria-labelledby": "list-h" }, h("h2", { id: "list-h" }, "Your things"), things.length ? null : empty, list));
  for (const t of things) list.append(thingCard(t));
}, { needsSignIn: true });
