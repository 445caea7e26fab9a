// Top up (the app's form): with Stripe's card form when this site has a Stripe key and the API takes deposits
// (POST /me/deposits), else the local stack's sandbox provider, in the developer panel.

import { cents, ctx, euros, h } from "./app.js";

async function offersDeposits() {
  try {
    const spec = await (await fetch(`${ctx.api}/openapi.json`)).json();
    return Boolean(spec.paths && spec.paths["/me/deposits"]);
  } catch (e) {
    return false;
  }
}

function sandbox(me) {
  const amount = h("input", { id: "topup-amount", inputmode: "decimal", value: "20.00", required: true, "aria-describedby": "topup-hint" });
  const link = h("a", { class: "button primary", id: "topup-link" }, "Top up in the developer panel");
  const update = () => {
    let value = 2000;
    try { value = cents(amount.value); } catch (e) { /* keep the default */ }
    const url = new URL(ctx.config.dev_panel, location.href);
    url.search = new URLSearchParams({ deposit: me.user_id, amount: value, return: location.href.split("#")[0] }).toString();
    link.href = url.href;
  };
  amount.addEventListener("input", update);
  update();
  return h("div", {},
    h("p", {}, `Funds: ${euros(me.balances.funds)}.`),
    h("div", { class: "row" }, h("div", {}, h("label", { for: "topup-amount" }, "Amount (€)"), amount), link),
    h("p", { class: "hint", id: "topup-hint" }, "This local stack takes no cards: its sandbox payment provider, in the developer ",
      "panel, sends the signed deposit a real provider would, and brings you back here."));
}

export async function topUp(me) {
  const stripe = ctx.config.stripe || {};
  if (stripe.publishable_key && await offersDeposits()) {
    const { stripeTopUp } = await import("./topup-stripe.js");
    return stripeTopUp(me, stripe);
  }
  if (ctx.config.dev_panel) return sandbox(me);
  return h("p", { class: "muted" }, "Topping up is not available on this site yet.");
}
