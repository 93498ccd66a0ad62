// GET /admin: the admin dashboard's page (src/edge/admin/dashboard/, inlined
// by scripts/build-client.ts), served like the other assets (an ETag, 304s)
// with headers that keep it to this origin (docs/dashboard.md#headers).
//
// Why hashes and not 'self' for its script and style: the page is one
// response, its script and style inline, and the policy names their SHA-256,
// so the browser runs that script and nothing else, not even another
// script of the same origin (an application's pages share it). 'self' would
// let any same-origin URL serve as a script to an injected tag; 'none' for
// everything else (images, frames, fonts, objects), connect-src 'self' for
// the admin API, form-action 'none' so no form can ever put a field in a
// URL, and Trusted Types with no policy, so no string ever becomes markup.
import type { Pages } from "../pages/pages.js";
import { assetPages } from "../pages/pages.js";
import { makeAsset } from "../pages/respond.js";
import type { Env } from "../rpc/env.js";
import { DASHBOARD_HASHES, DASHBOARD_HTML } from "./dashboard/page.gen.js";

export const DASHBOARD_PATH = "/admin";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src '${DASHBOARD_HASHES.script}'`,
  `style-src '${DASHBOARD_HASHES.style}'`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": DASHBOARD_CSP,
  // For browsers without frame-ancestors.
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const page: Pages = assetPages(
  async () =>
    new Map([[DASHBOARD_PATH, await makeAsset(DASHBOARD_HTML, "text/html; charset=utf-8", false, DASHBOARD_HEADERS)]]),
);

/** The page, to GET and HEAD (405 otherwise); it holds no secret, so it is served before the admin API's check. */
export async function dashboardPage(request: Request, env: Env): Promise<Response> {
  return (await page(request, env)) ?? new Response("not found\n", { status: 404 });
}
