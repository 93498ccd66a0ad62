// The admin dashboard at /admin (docs/dashboard.md): a sign-in with the
// admin secret, then live figures, a user's devices and a broadcast, all
// through the admin API of this origin. Inlined into the page by
// scripts/build-client.ts; the Worker serves it with a Content-Security-Policy
// naming this script's hash (src/edge/admin/dashboard-page.ts).
import type { AdminStats } from "../stats.js";
import { ApiError, call, forget, remember } from "./api.js";
import { setUpBroadcast } from "./broadcast.js";
import { resetDevices, setUpDevices } from "./devices.js";
import { byId, onSubmit } from "./dom.js";
import { startFigures, stopFigures } from "./figures.js";

const signInForm = byId("signin");
const secretField = byId("secret");
const signInError = byId("signin-error");
const dashboard = byId("dashboard");
const signOutButton = byId("signout");
const status = byId("status");

onSubmit(signInForm, async () => {
  const given = secretField.value;
  // Out of the field at once: the secret lives only in api.ts from here on.
  secretField.value = "";
  if (given === "") {
    signInError.textContent = "Enter the admin secret.";
    return;
  }
  signInError.textContent = "";
  remember(given, signOut);
  try {
    // The first figures prove the secret.
    const first = await call<AdminStats>("GET", "/admin/stats");
    signInForm.hidden = true;
    dashboard.hidden = false;
    signOutButton.hidden = false;
    status.textContent = "signed in";
    startFigures(first);
  } catch (e) {
    forget();
    if (e instanceof ApiError && e.status === 401)
      signInError.textContent = "Wrong admin secret: the server refused it.";
    else signInError.textContent = `Could not sign in: ${(e as Error).message}`;
    secretField.focus();
  }
});

/** Forgets the secret and everything shown; `why` is said above the sign-in form. */
function signOut(why = ""): void {
  forget();
  stopFigures();
  resetDevices();
  byId("broadcast-result").textContent = "";
  dashboard.hidden = true;
  signOutButton.hidden = true;
  signInForm.hidden = false;
  signInError.textContent = why;
  status.textContent = "signed out";
  secretField.focus();
}

signOutButton.addEventListener("click", () => signOut());
setUpDevices();
setUpBroadcast();
