// The creator dashboard: earnings per month, supporters and flattrs per thing, revenue, payouts with
// their status, revenue to funds; and, plainly, when give-to-get stops the buttons taking flattrs.

import { api, boot, cents, euros, h, monthName, monthsBefore, must, onSubmit, table, thingLink } from "./app.js";
import { COLORS, figure } from "./charts.js";

function giveToGet(me) {
  if (me.monthly_budget > 0 && me.balances.funds > 0) return null;
  const fix = [];
  if (!(me.monthly_budget > 0)) fix.push(h("a", { href: "index.html#budget" }, "set a monthly budget"));
  if (!(me.balances.funds > 0)) {
    if (fix.length) fix.push(" and ");
    fix.push(h("a", { href: "index.html#top-up" }, "top up your funds"));
  }
  return h("div", { class: "notice bad", id: "give-to-get", role: "alert" },
    h("p", {}, h("strong", {}, "Your buttons can't take flattrs right now. "),
      "On Flattr only people who give can receive (give to get), and you have ",
      me.monthly_budget > 0 ? "no funds" : "no monthly budget", "."),
    h("p", {}, "To fix it, ", ...fix, ". Even the minimum budget is enough."));
}

function moneyForms(me, payoutsBox, month) {
  const moveStatus = h("p", { class: "status", role: "status" });
  const move = h("form", { class: "stack" },
    h("label", { for: "move-amount" }, "Amount to move to funds (€)"),
    h("input", { id: "move-amount", name: "amount", inputmode: "decimal", required: true }),
    h("button", { type: "submit" }, "Move to funds"), moveStatus);
  onSubmit(move, moveStatus, async (data) => {
    const after = await must("POST", "/me/revenue/to-funds", { amount: cents(data.get("amount")) });
    document.getElementById("revenue").textContent = euros(after.balances.revenue);
    return `Moved. Revenue ${euros(after.balances.revenue)}, funds ${euros(after.balances.funds)}.`;
  });
  const payStatus = h("p", { class: "status", role: "status" });
  const payout = h("form", { class: "stack" },
    h("label", { for: "payout-amount" }, "Payout amount (€)"),
    h("input", { id: "payout-amount", name: "amount", inputmode: "decimal", required: true, "aria-describedby": "payout-hint" }),
    h("p", { class: "hint", id: "payout-hint" }, "At least €10.00, and at most your revenue."),
    h("button", { type: "submit", class: "primary" }, "Request payout"), payStatus);
  onSubmit(payout, payStatus, async (data) => {
    const p = await must("POST", "/me/payouts", { amount: cents(data.get("amount")) });
    const fresh = await must("GET", "/me");
    document.getElementById("revenue").textContent = euros(fresh.balances.revenue);
    payoutsBox.prepend(h("tr", {}, h("td", {}, month), h("td", {}, p.id), h("td", {}, p.status), h("td", { class: "num" }, euros(p.amount))));
    return `Payout of ${euros(p.amount)} requested: ${p.status}.`;
  });
  return h("section", { class: "card", "aria-labelledby": "rev-h" }, h("h2", { id: "rev-h" }, "Your revenue"),
    h("div", { class: "grid" }, payout, move));
}

boot(async (content, session) => {
  const r = await api("GET", "/me");
  if (r.status === 404) {
    content.append(h("p", { class: "notice" }, "You have no account yet. ", h("a", { href: "index.html" }, "Set a budget"),
      " first: on Flattr, creators give too."));
    return;
  }
  if (!r.ok) throw new Error(r.data.error.message);
  const me = r.data;
  const months = monthsBefore(me.month, 12);
  const [mine, all] = await Promise.all([
    must("GET", `/users/${encodeURIComponent(session.user)}/things`),
    Promise.all([...months, me.month].map((m) => api("GET", `/me/statements/${m}`).then((x) => (x.ok ? x.data : null)))),
  ]);
  const warning = giveToGet(me);
  if (warning) content.append(warning);
  const things = mine.things;
  content.append(h("dl", { class: "figures" },
    h("div", {}, h("dt", {}, "Revenue"), h("dd", { id: "revenue" }, euros(me.balances.revenue))),
    h("div", {}, h("dt", {}, "Supporters this month"), h("dd", {}, String(things.reduce((a, t) => a + t.flattrs_month, 0)))),
    h("div", {}, h("dt", {}, "Things"), h("dd", {}, String(things.length)))));

  const earned = months.map((_, i) => (all[i] ? all[i].received.reduce((a, x) => a + x.amount, 0) : 0));
  const labels = months.map(monthName);
  content.append(figure("Earnings per month", `${euros(earned.reduce((a, b) => a + b, 0))} earned in the last 12 months.`,
    { type: "bar", data: { labels, datasets: [{ label: "Earned", data: earned, backgroundColor: COLORS[0] }] },
      options: { plugins: { legend: { display: false } } } },
    ["Earnings per month", ["Month", "Earned"], labels.map((l, i) => [l, euros(earned[i])]), [1]]));

  const perThing = things.length
    ? table("Supporters and flattrs per thing", ["Thing", "Supporters this month", "Flattrs, all time"],
        things.map((t) => [thingLink(t.id, t.title), String(t.flattrs_month), String(t.flattrs)]), [1, 2])
    : h("p", {}, "You have no things yet. ", h("a", { href: "things.html" }, "Register one"), " to get its Flattr button.");
  content.append(h("section", { class: "card", "aria-labelledby": "things-h" }, h("h2", { id: "things-h" }, "Your things"), perThing));

  const payoutRows = h("tbody", { id: "payout-rows" });
  [...months, me.month].forEach((m, i) => {
    for (const p of (all[i] && all[i].payouts) || []) {
      payoutRows.prepend(h("tr", {}, h("td", {}, m), h("td", {}, p.id), h("td", {}, p.status), h("td", { class: "num" }, euros(p.amount))));
    }
  });
  content.append(moneyForms(me, payoutRows, me.month),
    h("section", { class: "card", "aria-labelledby": "payouts-h" }, h("h2", { id: "payouts-h" }, "Payouts"),
      h("table", {}, h("caption", {}, "Your payouts, newest first"),
        h("thead", {}, h("tr", {}, ["Month", "Payout", "Status", "Amount"].map((x, i) => h("th", { scope: "col", class: i === 3 ? "num" : null }, x)))),
        payoutRows)));
}, { needsSignIn: true });
