/* Top up funds through Stripe, for any page on this origin (the demo page, the web app).

   FlattrTopUp.mount(element, config) loads Stripe.js and mounts its card field in `element`.
   config = { js, publishable_key, confirm_url }: locally what the local stack says (localstripe's
   Stripe.js stand-in, and a confirm_url that plays the step it lacks); a deployed page passes
   "https://js.stripe.com/v3/" and the publishable key from its config file, and no confirm_url.
   FlattrTopUp.topUp({ token, amount, apiBase, onCall }) makes a PaymentIntent (POST /me/deposits),
   pays it with the card, and resolves with it once Stripe's webhook has credited the funds. */
"use strict";

(function () {
  const TEST_CARD = { number: "4242 4242 4242 4242", exp_month: "12", exp_year: "40", cvc: "123", postal_code: "10115" };
  const state = { config: null, stripe: null, card: null, element: null };

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error("Stripe.js did not load."));
      document.head.append(script);
    });
  }

  async function mount(element, config) {
    if (!window.Stripe) await loadScript(config.js);
    state.config = config;
    state.element = element;
    state.stripe = window.Stripe(config.publishable_key);
    state.card = state.stripe.elements().create("card");
    state.card.mount(element);
    if (config.confirm_url) { // localstripe's stand-in draws plain inputs: label them, fill in the test card
      for (const input of element.querySelectorAll("input")) {
        const field = input.getAttribute("placeholder");
        input.setAttribute("aria-label", `Card ${field.replace("_", " ")}`);
        if (field in TEST_CARD) input.value = TEST_CARD[field];
      }
    }
  }

  async function call(apiBase, method, path, token, body, onCall) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (onCall) onCall(method, path, response.status, data);
    return { ok: response.ok, status: response.status, data };
  }

  function problem(r) {
    const e = r.data && r.data.error;
    return e ? `${e.message} (${e.code})` : `HTTP ${r.status}`;
  }

  async function confirm(clientSecret, apiBase, token, onCall) {
    if (state.config.confirm_url) {
      // localstripe's stand-in cannot confirm with a card; the local stack plays that one step.
      const card = {};
      for (const input of state.element.querySelectorAll("input")) card[input.getAttribute("placeholder")] = input.value;
      const r = await call(apiBase, "POST", state.config.confirm_url, token, { client_secret: clientSecret, card }, onCall);
      if (r.data.status !== "succeeded") throw new Error(r.data.error || `The payment is ${r.data.status}.`);
      return;
    }
    const result = await state.stripe.confirmCardPayment(clientSecret, { payment_method: { card: state.card } });
    if (result.error) throw new Error(result.error.message);
  }

  async function topUp({ token, amount, apiBase = "", onCall = null }) {
    if (!state.card) throw new Error("No card field: FlattrTopUp.mount() it first.");
    const before = await call(apiBase, "GET", "/me", token);
    const intent = await call(apiBase, "POST", "/me/deposits", token, { amount }, onCall);
    if (!intent.ok) throw new Error(problem(intent));
    await confirm(intent.data.client_secret, apiBase, token, onCall);
    const was = before.ok ? before.data.balances.funds : 0;
    for (let i = 0; i < 75; i++) { // Stripe's webhook comes a moment later
      const me = await call(apiBase, "GET", "/me", token);
      if (me.ok && me.data.balances.funds !== was) return intent.data;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error("Paid, but Stripe's webhook has not arrived yet; look again in a moment.");
  }

  window.FlattrTopUp = { mount, topUp };
})();
