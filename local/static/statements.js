// A month's statement: loaded with the titles and creators of its things, as tables and as CSV.

import { euros, h, must, table, thingLink, thingsById } from "./app.js";

export async function load(month) {
  const s = await must("GET", `/me/statements/${month}`);
  const things = await thingsById([...s.given, ...s.received].map((g) => g.thing_id));
  return { s, things };
}

export const titleOf = (things, id) => (things.get(String(id)) || {}).title || `Thing ${id}`;
export const creatorOf = (things, id) => { const t = things.get(String(id)); return t ? t.owner.username : "–"; };

/** The statement as rows: [kind, thing id, title, creator, flattrs, cents] (negative: money out). */
export function rows({ s, things }) {
  const out = [];
  if (s.charged) out.push(["charged from funds", "", "", "", "", -s.charged]);
  for (const g of s.given) out.push(["given", g.thing_id, titleOf(things, g.thing_id), creatorOf(things, g.thing_id), "", g.amount]);
  if (s.fee) out.push(["fee", "", "", "", "", s.fee]);
  if (s.charity) out.push(["charity", "", "", "", "", s.charity]);
  for (const r of s.received) out.push(["received", r.thing_id, titleOf(things, r.thing_id), "you", r.flattrs, r.amount]);
  for (const p of s.payouts || []) out.push([`payout (${p.status})`, "", "", "", "", -p.amount]);
  return out;
}

const plain = (c) => `${c < 0 ? "-" : ""}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, "0")}`;

export function csv(month, loaded) {
  const cell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [["month", "kind", "thing_id", "title", "creator", "flattrs", "amount_eur"]];
  for (const [kind, id, title, creator, flattrs, amount] of rows(loaded)) {
    lines.push([month, kind, id, title, creator, flattrs, plain(amount)]);
  }
  return lines.map((l) => l.map(cell).join(",")).join("\r\n") + "\r\n";
}

export function csvLink(month, loaded) {
  const blob = new Blob([csv(month, loaded)], { type: "text/csv" });
  return h("a", { class: "button", href: URL.createObjectURL(blob), download: `flattr-statement-${month}.csv` }, "Download CSV");
}

export function tables(month, { s, things }) {
  const out = [];
  if (!s.charged && !s.given.length && !s.received.length && !(s.payouts || []).length) {
    out.push(h("p", { class: "muted", id: "statement-empty" }, s.settled
      ? "Nothing moved this month: nothing was charged, given or received."
      : "This month is not settled yet. Its statement appears once the month has closed."));
    return out;
  }
  if (s.charged || s.given.length) {
    const given = s.given.map((g) => [thingLink(g.thing_id, titleOf(things, g.thing_id)), creatorOf(things, g.thing_id), euros(g.amount)]);
    if (s.fee) given.push(["Platform fee", "", euros(s.fee)]);
    if (s.charity) given.push(["To charity (nothing flattred)", "", euros(s.charity)]);
    given.push([h("strong", {}, "Charged from your funds"), "", h("strong", {}, euros(s.charged))]);
    out.push(table("Where your budget went", ["To", "Creator", "Amount"], given, [2]));
  }
  if (s.received.length) {
    out.push(table("What your things received", ["Thing", "Flattrs", "Amount"],
      s.received.map((r) => [thingLink(r.thing_id, titleOf(things, r.thing_id)), String(r.flattrs), euros(r.amount)]), [1, 2]));
  }
  if ((s.payouts || []).length) {
    out.push(table("Payouts", ["Payout", "Status", "Amount"], s.payouts.map((p) => [p.id, p.status, euros(p.amount)]), [2]));
  }
  return out;
}
