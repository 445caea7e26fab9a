// Where the sign-in page (Cognito's hosted UI on AWS) sends the reader back with ?code=: trade it
// for tokens (PKCE), then go back where they were. Without a code, start signing in.
import { finishSignIn, signIn } from "./auth.js";

(async function () {
  const status = document.getElementById("status");
  try {
    const config = await (await fetch("config.json", { cache: "no-cache" })).json();
    const params = new URLSearchParams(location.search);
    if (!params.has("code") && !params.has("error")) {
      // signin.html?return=<a page of ours>: sign in, then go there (the flattr window uses this).
      const back = new URL(params.get("return") || "index.html", location.href);
      await signIn(config, back.origin === location.origin ? back.href : "index.html");
      return;
    }
    location.replace(await finishSignIn(config));
  } catch (err) {
    status.textContent = `Sign-in failed: ${err.message} `;
    const again = document.createElement("a");
    again.href = "index.html";
    again.textContent = "Back to Flattr";
    status.append(again);
  }
})();
