// Where my money went: a month's shares by thing and creator, fee and charity, as a chart; giving
// over the last twelve months; and the month's statement, with a CSV download and a printable view.

import { api, boot, euros, h, monthName, monthsBefore, must, pageUrl, table } from "./app.js";
import { CHARITY, COLORS, FEE, figure } from "./charts.js";
import * as statements from "./statements.js";

function monthLinks(months, chosen) {
  return h("nav", { "aria-label": "Months" }, h("ul", { class: "months" }, [...months].reverse().map((m) =>
    h("li", {}, h("a", { href: pageUrl("money.html", { month: m }), "aria-current": m === chosen ? "page" : null }, monthName(m))))));
}

function monthChart(month, { s, things }) {
  const labels = [];
  const values = [];
  for (const g of s.given) {
    labels.push(`${statements.titleOf(things, g.thing_id)} (${statements.creatorOf(things, g.thing_id)})`);
    values.push(g.amount);
  }
  const colors = values.map((_, i) => COLORS[i % COLORS.length]);
  if (s.fee) { labels.push("Platform fee"); values.push(s.fee); colors.push(FEE); }
  if (s.charity) { labels.push("Charity"); values.push(s.charity); colors.push(CHARITY); }
  const byCreator = new Map();
  for (const g of s.given) {
    const c = statements.creatorOf(things, g.thing_id);
    byCreator.set(c, (byCreator.get(c) || 0) + g.amount);
  }
  const summary = `${euros(s.charged)} charged: ${[...byCreator].map(([c, a]) => `${euros(a)} to ${c}`).join(", ") || "nothing to creators"}` +
    `${s.fee ? `, ${euros(s.fee)} fee` : ""}${s.charity ? `, ${euros(s.charity)} to charity` : ""}.`;
  return figure(`Your budget in ${monthName(month)}`, summary,
    { type: "doughnut", data: { labels, datasets: [{ data: values, backgroundColor: colors }] } },
    ["Shares by thing and creator", ["Share", "Amount"], labels.map((l, i) => [l, euros(values[i])]), [1]]);
}

function givingChart(months, all) {
  const given = all.map((x) => (x ? x.given.reduce((a, g) => a + g.amount, 0) : 0));
  const fee = all.map((x) => (x ? x.fee : 0));
  const charity = all.map((x) => (x ? x.charity : 0));
  const labels = months.map(monthName);
  const total = all.reduce((a, x) => a + (x ? x.charged : 0), 0);
  return figure("Giving over the months", `${euros(total)} given in the last ${months.length} months, month by month.`,
    { type: "bar", data: { labels, datasets: [
      { label: "To creators", data: given, backgroundColor: COLORS[0] },
      { label: "Fee", data: fee, backgroundColor: FEE },
      { label: "Charity", data: charity, backgroundColor: CHARITY }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } } },
    ["Giving per month", ["Month", "To creators", "Fee", "Charity"], labels.map((l, i) => [l, euros(given[i]), euros(fee[i]), euros(charity[i])]), [1, 2, 3]]);
}

boot(async (content) => {
  const me = await api("GET", "/me");
  if (me.status === 404) {
    content.append(h("p", { class: "notice" }, "You have no account yet. ", h("a", { href: "index.html" }, "Set a budget"), " to start."));
    return;
  }
  if (!me.ok) throw new Error(me.data.error.message);
  const months = monthsBefore(me.data.month, 12);
  const asked = new URLSearchParams(location.search).get("month");
  const month = /^\d{4}-\d{2}$/.test(asked || "") ? asked : months[months.length - 1];
  const [loaded, all] = await Promise.all([
    statements.load(month),
    Promise.all(months.map((m) => api("GET", `/me/statements/${m}`).then((r) => (r.ok ? r.data : null)))),
  ]);
  content.append(monthLinks(months, month));
  const section = h("section", { "aria-labelledby": "month-h" }, h("h2", { id: "month-h" }, monthName(month)));
  if (loaded.s.charged) section.append(monthChart(month, loaded));
  section.append(h("div", { class: "card", id: "statement" }, h("h3", {}, `Statement for ${monthName(month)}`),
    ...statements.tables(month, loaded),
    h("p", { class: "row no-print" }, statements.csvLink(month, loaded),
      h("a", { class: "button", href: pageUrl("statement.html", { month }) }, "Printable view"))));
  content.append(section, givingChart(months, all));
}, { needsSignIn: true });
