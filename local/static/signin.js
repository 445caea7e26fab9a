// The hosted sign-in (Cognito) sends the reader back here with ?code=: trade it for tokens and
// keep the id token on our origin only, where the flattr window reads it.
(async function () {
  const status = document.getElementById("status");
  const code = new URLSearchParams(location.search).get("code");
  try {
    const config = await (await fetch("config.json")).json();
    if (!code) { location.href = config.signin; return; }
    const signin = new URL(config.signin);
    const body = new URLSearchParams({
      grant_type: "authorization_code", code: code,
      client_id: signin.searchParams.get("client_id"),
      redirect_uri: location.origin + location.pathname,
    });
    const res = await fetch(signin.origin + "/oauth2/token", {method: "POST", body: body});
    if (!res.ok) throw new Error("the sign-in service said " + res.status);
    localStorage.setItem("flattr.token", (await res.json()).id_token);
    status.textContent = "Signed in. You can close this window and flattr.";
    history.replaceState(null, "", location.pathname);
  } catch (err) {
    status.textContent = "Sign-in failed: " + err.message;
  }
})();
