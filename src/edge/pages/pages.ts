// Serving a fixed set of text assets by path: built on first use, answered
// with respond.ts's caching headers, and composed with other routes.
import type { Env } from "../rpc/env.js";
import { type Asset, respond } from "./respond.js";

/**
 * Routes for plain HTTP requests (anything but the WebSocket upgrade):
 * `undefined` means "not mine", and the next routes, or a 404, answer.
 */
export type Pages = (request: Request, env: Env) => Promise<Response | undefined> | Response | undefined;

/** Routes for the assets `load` builds (once per isolate: hashing needs crypto.subtle's promise). */
export function assetPages(load: () => Promise<Map<string, Asset>>): Pages {
  let assets: Promise<Map<string, Asset>> | undefined;
  return async (request) => {
    const path = new URL(request.url).pathname;
    // A failed load (crypto.subtle refusing, say) is not kept: the next request tries again.
    assets ??= load().catch((e: unknown) => {
      assets = undefined;
      throw e;
    });
    const asset = (await assets).get(path);
    if (asset === undefined) return undefined;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    return respond(request, asset);
  };
}

/** The first answer of several route sets, in order; undefined when none has the path. */
export function firstOf(...pages: (Pages | undefined)[]): Pages | undefined {
  const list = pages.filter((p): p is Pages => p !== undefined);
  if (list.length <= 1) return list[0];
  return async (request, env) => {
    for (const p of list) {
      const response = await p(request, env);
      if (response !== undefined) return response;
    }
    return undefined;
  };
}
