// GET /admin, the dashboard's page (src/edge/admin/dashboard-page.ts): served
// without the secret (it holds none) while ADMIN_SECRET is set, with a
// policy that lets only its own inline script and style run. (Off without
// ADMIN_SECRET: test/edge/probe/session-events.test.ts; in Chromium:
// test/edge/admin/dashboard/dashboard.test.ts.)
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const get = (init: RequestInit = {}) => SELF.fetch("http://edge.test/admin", init);

/** The CSP source of an inline element's text: 'sha256-<base64>'. */
async function hashOf(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

describe("GET /admin", () => {
  it("serves the page without Authorization, as HTML that asks for the admin secret", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain('<label for="secret">Admin secret</label>');
    // Self-contained: no src or href to load anything.
    expect(html).not.toMatch(/\s(src|href)=/);
  });

  it("names the hashes of exactly its inline script and style, and allows nothing else", async () => {
    const res = await get();
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    const html = await res.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    expect(script.length).toBeGreaterThan(1000);
    expect(csp).toContain(`script-src ${await hashOf(script)};`);
    expect(csp).toContain(`style-src ${await hashOf(style)};`);
    for (const part of ["default-src 'none'", "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(part);
    }
    expect(csp).not.toMatch(/unsafe|\*|https?:/);
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
  });

  it("answers 304 to its ETag, HEAD without a body, 405 to a POST", async () => {
    const etag = (await get()).headers.get("ETag") ?? "";
    expect((await get({ headers: { "If-None-Match": etag } })).status).toBe(304);
    const head = await get({ method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await get({ method: "POST" })).status).toBe(405);
  });
});
