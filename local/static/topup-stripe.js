// Card top-ups with Stripe.js: POST /me/deposits creates a PaymentIntent for the signed-in user
// (201 {id, client_secret, amount, currency, publishable_key}); Stripe.js confirms it with the card
// in Stripe's own iframe, so card numbers never touch this page. The funds arrive with Stripe's
// payment_intent.succeeded webhook, so this polls GET /me until they show.
// Config (config.json's "stripe"): publishable_key; js, Stripe.js's URL (default Stripe's own;
// localstripe serves a stand-in locally); confirm_url, only where the Stripe.js in use cannot confirm
// a card payment itself (localstripe's stand-in): the card fields and client_secret are POSTed there.
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

// localstripe's Stripe.js stand-in draws plain inputs named by their placeholders: label them, so
// they are usable (and axe passes), and fill in the test card but for its number.
const TEST_CARD = { exp_month: "12", exp_year: "40", cvc: "123", postal_code: "10115" };
const LABELS = { number: "Card number", exp_month: "Expiry month", exp_year: "Expiry year", cvc: "CVC",
  postal_code: "Postal code" };

function labelStandIn(mount) {
  for (const input of mount.querySelectorAll("input")) {
    const field = input.getAttribute("placeholder");
    input.setAttribute("aria-label", LABELS[field] || field);
    if (field in TEST_CARD) input.value = TEST_CARD[field];
  }
}

async function fundsAbove(before, tries = 20) {
  for (let i = 0; i < tries; i += 1) {
    const me = await must("GET", "/me");
    if (me.balances.funds > before) return me;
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

async function confirm(stripe, card, mount, clientSecret, config) {
  if (config.confirm_url) {
    const fields = {};
    for (const input of mount.querySelectorAll("input")) fields[input.getAttribute("placeholder")] = input.value;
    const r = await fetch(config.confirm_url, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_secret: clientSecret, card: fields }) });
    const data = await r.json().catch(() => ({}));
    if (data.status !== "succeeded") throw new Error(data.error || `The payment is ${data.status || "refused"}.`);
    return;
  }
  const result = await stripe.confirmCardPayment(clientSecret, { payment_method: { card } });
  if (result.error) throw new Error(result.error.message);
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
  requestAnimationFrame(() => {
    card.mount(mount);
    if (config.confirm_url) labelStandIn(mount);
  });
  onSubmit(form, status, async (data) => {
    const intent = await must("POST", "/me/deposits", { amount: cents(data.get("amount")) });
    await confirm(stripe, card, mount, intent.client_secret, config);
    const after = await fundsAbove(me.balances.funds);
    if (!after) return "Paid. Your funds will show the money in a moment.";
    document.getElementById("funds").textContent = euros(after.balances.funds);
    return `Paid ${euros(intent.amount)}. Your funds are ${euros(after.balances.funds)}.`;
  });
  return form;
}
