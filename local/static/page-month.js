// My month: funds, budget and revenue; top up; set the budget; this month's flattrs and what each
// is worth if the month closed now; subscriptions; hiding my flattrs.

import { api, boot, cents, ctx, euros, h, monthName, must, onSubmit, say, signInLink, thingLink, thingsById } from "./app.js";
import { topUp } from "./topup-form.js";

function signedOut(content) {
  content.append(
    h("p", { class: "lede" }, "Put money in, set a monthly budget, and click Flattr on things you like. ",
      "At the end of the month your budget is split equally among them: a click never costs more."),
    h("p", {}, signInLink(), " to see your month."));
}

function budgetForm(me, onSaved) {
  const status = h("p", { class: "status", role: "status" });
  const form = h("form", { class: "stack", id: "budget" },
    h("label", { for: "budget-amount" }, "Monthly budget (€)"),
    h("input", { id: "budget-amount", name: "budget", inputmode: "decimal", required: true,
      value: me && me.monthly_budget ? (me.monthly_budget / 100).toFixed(2) : "5.00", "aria-describedby": "budget-hint" }),
    h("p", { class: "hint", id: "budget-hint" }, "At least €2.00. It is split among what you flattr each month."),
    h("button", { type: "submit", class: "primary" }, "Set budget"), status);
  onSubmit(form, status, async (data) => {
    const body = { monthly_budget: cents(data.get("budget")) };
    if (!me) body.display_name = ctx.me.name.slice(0, 100);
    const saved = await must("PUT", "/me", body);
    onSaved(saved);
    return `Your budget is ${euros(saved.monthly_budget)} a month.`;
  });
  return form;
}

function figures(me) {
  return h("dl", { class: "figures" },
    h("div", {}, h("dt", {}, "Funds"), h("dd", { id: "funds" }, euros(me.balances.funds))),
    h("div", {}, h("dt", {}, "Monthly budget"), h("dd", { id: "budget-now" }, euros(me.monthly_budget))),
    h("div", {}, h("dt", {}, "Revenue"), h("dd", { id: "revenue" }, euros(me.balances.revenue))),
    h("div", {}, h("dt", {}, "Flattrs this month"), h("dd", {}, String(me.flattrs_this_month))));
}

function lowFunds(me) {
  if (me.monthly_budget > 0 && me.balances.funds > 0 && me.balances.funds >= me.monthly_budget) return null;
  if (!me.monthly_budget) {
    return h("p", { class: "notice warn", id: "low-funds" }, "You have no monthly budget yet, so you can't flattr. ",
      h("a", { href: "#budget" }, "Set a budget"), ".");
  }
  if (me.balances.funds <= 0) {
    return h("p", { class: "notice warn", id: "low-funds" }, "Your funds are empty, so your flattrs can't go through. ",
      h("a", { href: "#top-up" }, "Top up your funds"), " to flattr again.");
  }
  return h("p", { class: "notice warn", id: "low-funds" },
    `Your funds (${euros(me.balances.funds)}) are below your budget (${euros(me.monthly_budget)}): this month gives only what is there. `,
    h("a", { href: "#top-up" }, "Top up"), ".");
}

async function thisMonth(me) {
  const section = h("section", { class: "card", "aria-labelledby": "flattred-h" },
    h("h2", { id: "flattred-h" }, `Flattred in ${monthName(me.month)}`));
  const statement = await must("GET", `/me/statements/${me.month}`);
  const estimate = statement.estimate;
  const given = (estimate && estimate.given) || [];
  if (!given.length) {
    section.append(h("p", { id: "empty-month" }, "You haven't flattred anything this month. Look for Flattr buttons on sites you ",
      "like and click them: your budget is split among everything you flattr. Creators you know may list their things on ",
      "their Flattr page."));
    if (estimate && estimate.charity) {
      section.append(h("p", { class: "hint" }, `If the month closed now, ${euros(estimate.charity)} would go to charity.`));
    }
    return section;
  }
  const things = await thingsById(given.map((g) => g.thing_id));
  section.append(
    h("p", { class: "hint" }, `If the month closed now, ${euros(estimate.charged)} would be shared: `,
      `${euros(estimate.fee)} fee, the rest split equally. Each new flattr divides it further; none costs more.`),
    h("table", {},
      h("caption", {}, "What each flattr is worth if the month closed now"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Thing"), h("th", { scope: "col" }, "Creator"), h("th", { scope: "col", class: "num" }, "Worth now"))),
      h("tbody", {}, given.map((g) => {
        const t = things.get(String(g.thing_id));
        return h("tr", {}, h("td", {}, thingLink(g.thing_id, t && t.title)),
          h("td", {}, t ? t.owner.username : "–"), h("td", { class: "num" }, euros(g.amount)));
      }))));
  return section;
}

async function subscriptions() {
  const section = h("section", { class: "card", "aria-labelledby": "subs-h" }, h("h2", { id: "subs-h" }, "Subscriptions"));
  const { subscriptions: subs } = await must("GET", "/me/subscriptions");
  if (!subs.length) {
    section.append(h("p", { class: "muted" }, "No subscriptions. A subscription flattrs a thing for you every month, for 3, 6 or 12 months: subscribe on a thing's page."));
    return section;
  }
  const things = await thingsById(subs.map((s) => s.thing_id));
  const list = h("ul", { class: "plain" });
  for (const s of subs) {
    const t = things.get(String(s.thing_id));
    const status = h("span", { class: "status", role: "status" });
    const cancel = h("button", { type: "button", class: "danger" }, "Cancel");
    cancel.addEventListener("click", async () => {
      const r = await api("DELETE", `/things/${s.thing_id}/subscription`);
      if (r.ok) cancel.closest("li").replaceChildren(h("span", {}, `Cancelled: ${t ? t.title : s.thing_id}.`));
      else say(status, r.data.error ? r.data.error.message : "Could not cancel.", "bad");
    });
    cancel.setAttribute("aria-label", `Cancel subscription to ${t ? t.title : s.thing_id}`);
    list.append(h("li", {}, thingLink(s.thing_id, t && t.title), ` · ${s.first_month} to ${s.last_month} `, cancel, status));
  }
  section.append(list);
  return section;
}

function privacy(me) {
  const status = h("p", { class: "status", role: "status" });
  const box = h("input", { type: "checkbox", id: "hide-flattrs", checked: !!me.hide_flattrs });
  box.addEventListener("change", async () => {
    try {
      const saved = await must("PUT", "/me", { hide_flattrs: box.checked });
      say(status, saved.hide_flattrs ? "Your flattrs are private: only counts show." : "Your flattrs are public.", "good");
    } catch (e) {
      box.checked = !box.checked;
      say(status, e.message, "bad");
    }
  });
  return h("section", { class: "card", "aria-labelledby": "privacy-h" }, h("h2", { id: "privacy-h" }, "Privacy"),
    h("label", { class: "check", for: "hide-flattrs" }, box, "Hide which things I flattr (counts stay public)"), status);
}

boot(async (content, session) => {
  if (!session) return signedOut(content);
  const r = await api("GET", "/me");
  if (r.status === 404) {
    content.append(
      h("p", { class: "notice", id: "welcome" }, `Welcome, ${session.name}! To start, set a monthly budget and top up your funds. `,
        "Then click Flattr buttons on things you like."),
      h("div", { class: "grid" },
        h("section", { class: "card", "aria-labelledby": "b-h" }, h("h2", { id: "b-h" }, "1. Set a monthly budget"),
          budgetForm(null, () => location.reload())),
        h("section", { class: "card", "aria-labelledby": "t-h" }, h("h2", { id: "t-h" }, "2. Top up"),
          h("p", { class: "muted" }, "Set a budget first."))));
    return;
  }
  if (!r.ok) throw new Error(r.data.error ? r.data.error.message : `HTTP ${r.status}`);
  const me = r.data;
  content.append(h("p", { class: "lede" }, `${monthName(me.month)}, so far.`), figures(me));
  const warning = lowFunds(me);
  if (warning) content.append(warning);
  const refresh = (saved) => {
    document.getElementById("budget-now").textContent = euros(saved.monthly_budget);
    document.getElementById("funds").textContent = euros(saved.balances.funds);
  };
  content.append(
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "topup-h", id: "top-up" }, h("h2", { id: "topup-h" }, "Top up"),
        await topUp(me)),
      h("section", { class: "card", "aria-labelledby": "budget-h" }, h("h2", { id: "budget-h" }, "Monthly budget"),
        budgetForm(me, refresh))),
    await thisMonth(me),
    h("div", { class: "grid" }, await subscriptions(), privacy(me)));
});
