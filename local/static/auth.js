// Sign-in: OAuth 2.0 authorization code with PKCE (RFC 7636), against Cognito's hosted UI on AWS
// and the local stack's stand-in for it. Only the config differs. The id token is kept in this
// origin's localStorage ("flattr.token"), where the flattr window reads it too; no other site sees it.

const TOKEN = "flattr.token";
const USER = "flattr.user";
const PENDING = "flattr.signin";

function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
    return JSON.parse(json);
  } catch (e) {
    return null;
  }
}

/** The signed-in user, or null. An expired or unreadable token counts as signed out. */
export function session() {
  const token = localStorage.getItem(TOKEN);
  const claims = token && claimsOf(token);
  if (!claims || !claims.sub || (claims.exp && claims.exp * 1000 < Date.now())) {
    if (token) forget();
    return null;
  }
  const groups = claims["cognito:groups"] || [];
  return {
    token,
    user: claims.sub,
    name: claims.name || claims.email || claims["cognito:username"] || claims.sub,
    admin: Array.isArray(groups) ? groups.includes("admin") : String(groups).includes("admin"),
  };
}

export function forget() {
  localStorage.removeItem(TOKEN);
  localStorage.removeItem(USER);
}

function redirectUri() {
  return new URL("signin.html", location.href).href.split("?")[0];
}

/** Off to the sign-in page; back at `returnTo` (a URL on this origin) once signed in. */
export async function signIn(config, returnTo = location.href) {
  const verifier = randomString(48);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(config.auth.authorize);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.auth.client_id,
    redirect_uri: redirectUri(),
    scope: config.auth.scope || "openid email profile",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.href);
}

/** On signin.html: trade ?code= for tokens. Returns where to go next. */
export async function finishSignIn(config) {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (params.get("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!pending || !params.get("code") || params.get("state") !== pending.state) {
    throw new Error("This sign-in link was not started here, or was already used. Please sign in again.");
  }
  const response = await fetch(config.auth.token, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.auth.client_id,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok || !data.id_token) {
    throw new Error(data.error_description || `The sign-in service answered ${response.status}.`);
  }
  forget(); // nothing of a previous user survives
  localStorage.setItem(TOKEN, data.id_token);
  localStorage.setItem(USER, claimsOf(data.id_token).sub);
  const back = new URL(pending.returnTo || "index.html", location.href);
  return back.origin === location.origin ? back.href : "index.html";
}

export function signOut(config) {
  forget();
  const url = new URL(config.auth.logout);
  url.search = new URLSearchParams({ client_id: config.auth.client_id, logout_uri: new URL("index.html", location.href).href.replace(/index\.html$/, "") }).toString();
  location.assign(url.href);
}
