// createEdge's options (docs/api.md#createedge-options): `scripts` serves, or not,
// the browser client with the application's packet tables; `pages` adds
// routes after them.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { defineApp } from "../../../src/edge/app/define-app.js";
import { createEdge } from "../../../src/edge/index.js";
import type { Env } from "../../../src/edge/rpc/env.js";

const app = defineApp({
  packets: { unpack: { "common.signIn": ["login:str24"] } },
  signIn: { packet: "common.signIn", authenticate: () => null, reply() {} },
});

async function get(edge: ReturnType<typeof createEdge>, path: string): Promise<Response> {
  const fetch = edge.worker.fetch as NonNullable<ExportedHandler<Env>["fetch"]>;
  return fetch(new Request(`https://edge.test${path}`) as never, env as Env, createExecutionContext());
}

describe("createEdge options", () => {
  it("serve /sockizy.js and /sockizy.mjs by default, with the app's packet names", async () => {
    const edge = createEdge(app);
    for (const path of ["/sockizy.js", "/sockizy.mjs"]) {
      const res = await get(edge, path);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/javascript/);
      expect(await res.text()).toContain("common.signIn");
    }
  });

  it("serve no client script with scripts: false", async () => {
    const edge = createEdge(app, { scripts: false });
    for (const path of ["/sockizy.js", "/sockizy.mjs"]) expect((await get(edge, path)).status).toBe(404);
  });

  it("try the app's pages after the scripts, and only for paths the scripts do not serve", async () => {
    const pages = (request: Request) =>
      new URL(request.url).pathname === "/sockizy.js" || new URL(request.url).pathname === "/hello"
        ? new Response("page")
        : undefined;
    const edge = createEdge(app, { pages });
    expect(await (await get(edge, "/hello")).text()).toBe("page");
    expect(await (await get(edge, "/sockizy.js")).text()).not.toBe("page");
    expect((await get(edge, "/nothing")).status).toBe(404);
    expect(await (await get(createEdge(app, { scripts: false, pages }), "/sockizy.js")).text()).toBe("page");
  });
});
