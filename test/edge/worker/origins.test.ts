// The origin allowlist (docs/security.md#origin-allowlist): the app's `origins` option and
// the deployment variable ALLOWED_ORIGINS. The Worker is called with an
// environment whose objects throw when touched, so a refused upgrade is
// shown to cost no object anything.
import { createExecutionContext, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineApp } from "../../../src/edge/app/define-app.js";
import { createEdge } from "../../../src/edge/index.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { originAllowed, parseOriginPattern } from "../../../src/edge/worker/origins.js";
import { toBase64Url } from "../../../src/protocol/control.js";
import { seedApp } from "../../../src/seed/app.js";
import { signInFrame } from "../helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

const base = {
  packets: { unpack: { "common.signIn": ["login:str24"] } },
  signIn: { packet: "common.signIn", authenticate: () => null, reply() {} },
} as const;

describe("origin patterns", () => {
  const app = (allowed: string[], allowMissing?: boolean) => defineApp({ ...base, origins: { allowed, allowMissing } });
  const allowed = (list: string[], origin: string | null) => originAllowed(app(list).origins, undefined, origin);

  it("match an exact origin, scheme and port included", () => {
    expect(allowed(["https://app.example.com"], "https://app.example.com")).toBe(true);
    expect(allowed(["https://app.example.com"], "http://app.example.com")).toBe(false);
    expect(allowed(["https://app.example.com"], "https://app.example.com:8443")).toBe(false);
    expect(allowed(["http://localhost:8787"], "http://localhost:8787")).toBe(true);
    expect(allowed(["http://localhost:8787"], "http://localhost")).toBe(false);
    expect(allowed(["HTTPS://App.Example.com/"], "https://app.example.COM")).toBe(true);
  });

  it("match any subdomain with *. but not the domain itself nor a look-alike", () => {
    const list = ["https://*.example.com"];
    expect(allowed(list, "https://a.example.com")).toBe(true);
    expect(allowed(list, "https://a.b.example.com")).toBe(true);
    expect(allowed(list, "https://example.com")).toBe(false);
    expect(allowed(list, "https://evilexample.com")).toBe(false);
    expect(allowed(list, "https://example.com.evil.test")).toBe(false);
    expect(allowed(list, "http://a.example.com")).toBe(false);
  });

  it("take http or https for an entry without a scheme", () => {
    expect(allowed(["*.example.com"], "http://a.example.com")).toBe(true);
    expect(allowed(["*.example.com"], "https://a.example.com")).toBe(true);
    expect(allowed(["*.example.com"], "ftp://a.example.com")).toBe(false);
    expect(allowed(["example.com"], "https://example.com")).toBe(true);
  });

  it("match the literal origin null only when listed, and * matches everything", () => {
    expect(allowed(["https://app.example.com"], "null")).toBe(false);
    expect(allowed(["null"], "null")).toBe(true);
    expect(allowed(["*"], "https://evil.example")).toBe(true);
  });

  it("refuse a malformed Origin header", () => {
    expect(allowed(["https://app.example.com"], "https://app.example.com/path")).toBe(false);
    expect(allowed(["https://app.example.com"], "app.example.com")).toBe(false);
    expect(allowed(["*.example.com"], "")).toBe(false);
  });

  it("allow everything when nothing is configured, and a missing Origin unless the app says otherwise", () => {
    const open = defineApp(base).origins;
    expect(originAllowed(open, undefined, "https://evil.example")).toBe(true);
    expect(originAllowed(open, "", "https://evil.example")).toBe(true);
    expect(originAllowed(app(["https://a.test"]).origins, undefined, null)).toBe(true);
    expect(originAllowed(app(["https://a.test"], false).origins, undefined, null)).toBe(false);
  });

  it("let ALLOWED_ORIGINS replace the app's list; a malformed entry in it allows nothing", () => {
    const origins = app(["https://app.example.com"]).origins;
    const deployed = "https://other.example, *.game.test";
    expect(originAllowed(origins, deployed, "https://app.example.com")).toBe(false);
    expect(originAllowed(origins, deployed, "https://other.example")).toBe(true);
    expect(originAllowed(origins, deployed, "http://eu.game.test")).toBe(true);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(originAllowed(defineApp(base).origins, "https://a.test/x, not an origin", "https://a.test")).toBe(false);
    // Each malformed entry is logged (a deployment variable cannot throw at defineApp).
    expect(logged.mock.calls.map(([message]) => message)).toEqual([
      expect.stringMatching(
        /^sockizy-edge: ALLOWED_ORIGINS: "https:\/\/a\.test\/x" is not an origin .*; that entry allows nothing$/,
      ),
      expect.stringMatching(
        /^sockizy-edge: ALLOWED_ORIGINS: " not an origin" is not an origin .*; that entry allows nothing$/,
      ),
    ]);
  });

  it("throw at defineApp for a malformed entry in the app's list", () => {
    expect(() => app(["https://a.test/path"])).toThrow(RangeError);
    expect(() => app(["*evil.test"])).toThrow(/origins\.allowed/);
    expect(() => parseOriginPattern("https://", "x")).toThrow(RangeError);
  });
});

// Objects that must not be reached: any use throws, failing the request with 500.
const untouchable = new Proxy({} as DurableObjectNamespace, {
  get(_t, prop) {
    throw new Error(`an object binding was touched (${String(prop)})`);
  },
});

function upgradeWith(allowedOrigins: string | undefined, origin: string | null, signIn = true) {
  const { worker } = createEdge(seedApp);
  const testEnv: Env = {
    ...(env as unknown as Env),
    USERS: untouchable,
    LOBBIES: untouchable,
    REGISTRY: untouchable,
    LIMITER: untouchable,
    ALLOWED_ORIGINS: allowedOrigins,
  };
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (origin !== null) headers.Origin = origin;
  if (signIn) headers["Sec-WebSocket-Protocol"] = `sockizy, sockizy.${toBase64Url(signInFrame("D", "13"))}`;
  const request = new Request("http://edge.test/", { headers });
  return (worker.fetch as NonNullable<typeof worker.fetch>)(
    request as Request<unknown, IncomingRequestCfProperties>,
    testEnv,
    createExecutionContext(),
  );
}

describe("an upgrade with ALLOWED_ORIGINS set", () => {
  const deployed = "https://app.example.com, https://*.example.com";

  it("answers a foreign Origin with 403 before any object is touched", async () => {
    const res = await upgradeWith(deployed, "https://evil.example");
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("origin: https://evil.example is not allowed\n");
    expect((await upgradeWith(deployed, "null")).status).toBe(403);
  });

  it("lets an allowed Origin through to the objects", async () => {
    // The untouchable objects throw once the upgrade gets past the origin check.
    await expect(upgradeWith(deployed, "https://app.example.com")).rejects.toThrow(/object binding was touched/);
    await expect(upgradeWith(deployed, "https://eu.example.com")).rejects.toThrow(/object binding was touched/);
  });

  it("lets an upgrade without Origin (not a browser) through", async () => {
    await expect(upgradeWith(deployed, null)).rejects.toThrow(/object binding was touched/);
  });
});

describe("an upgrade without ALLOWED_ORIGINS (the seed app lists no origins)", () => {
  it("accepts any Origin", async () => {
    const res = await SELF.fetch("http://edge.test/", {
      headers: { Upgrade: "websocket", Origin: "https://evil.example" },
    });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close();
  });
});
