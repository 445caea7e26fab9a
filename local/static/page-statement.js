// A month's statement on its own, to print.

import { boot, h, monthName } from "./app.js";
import * as statements from "./statements.js";

boot(async (content, me) => {
  const month = new URLSearchParams(location.search).get("month") || "";
  if (!/^\d{4}-\d{2}$/.test(month)) throw new Error("This link names no month (statement.html?month=YYYY-MM).");
  document.querySelector("h1").textContent = `Statement for ${monthName(month)}`;
  document.title = `Statement for ${monthName(month)} · Flattr`;
  const loaded = await statements.load(month);
  content.append(h("p", {}, `${me.name} (${me.user}). Amounts in euros.`), ...statements.tables(month, loaded),
    h("p", { class: "row no-print" }, h("button", { type: "button", class: "primary", onclick: () => print() }, "Print"),
      statements.csvLink(month, loaded)));
}, { needsSignIn: true });
