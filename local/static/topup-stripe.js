// Card top-ups with Stripe.js: POST /me/deposits creates a PaymentIntent for the signed-in user
// (201 {id, client_secret, amount, currency, publishable_key}); Stripe.js confirms it with the card
// in Stripe's own iframe, so card numbers never touch this page. The funds arrive with Stripe's
// payment_intent.succeeded webhook, so this polls GET /me until they show.
// Config: stripe.publishable_key, and stripe.js (Stripe.js's URL; localstripe serves its own locally).
// The page's Content-Security-Policy must allow that script and Stripe's frames.

import { cents, euros, h, must, onSubmit } from "./app.js";

function loadStripeJs(src) {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  return new Promise((resolve, reject) => {
    const script = h("script", { src });
    script.onload = () => resolve(window.Stripe);
    script.onerror = () => reject(new Error("Stripe could not be loaded. Please try again later."));
    document.head.append(script);
  });
}

async function fundsAbove(before, tries = 20) {
  for (let i = 0; i < tries; i += 1) {
    const me = await must("GET", "/me");
    if (me.balances.funds > before) return me;
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

export async function stripeTopUp(me, config) {
  const Stripe = await loadStripeJs(config.js || "https://js.stripe.com/v3/");
  const stripe = Stripe(config.publishable_key);
  const card = stripe.elements().create("card");
  const mount = h("div", { id: "card-element", class: "card-input" });
  const status = h("p", { class: "status", role: "status" });
  const form = h("form", { class: "stack", id: "topup-form" },
    h("label", { for: "topup-amount" }, "Amount (€)"),
    h("input", { id: "topup-amount", name: "amount", inputmode: "decimal", value: "20.00", required: true }),
    h("span", { class: "label" }, "Card"), mount,
    h("button", { type: "submit", class: "primary" }, "Top up"), status);
  requestAnimationFrame(() => card.mount(mount));
  onSubmit(form, status, async (data) => {
    const intent = await must("POST", "/me/deposits", { amount: cents(data.get("amount")) });
    const result = await stripe.confirmCardPayment(intent.client_secret, { payment_method: { card } });
    if (result.error) throw new Error(result.error.message);
    const after = await fundsAbove(me.balances.funds);
    if (!after) return "Paid. Your funds will show the money in a moment.";
    document.getElementById("funds").textContent = euros(after.balances.funds);
    return `Paid ${euros(intent.amount)}. Your funds are ${euros(after.balances.funds)}.`;
  });
  return form;
}
