// What the Worker serves besides the WebSocket endpoint (createEdge's
// `pages`): the client script with the application's tables, the ES
// module, and the demo page. The files are built into bundle.gen.ts by
// scripts/build-client.ts (README "Building them").
import type { Pages } from "../edge/index.js";
import { CLIENT_MODULE, CLIENT_SCRIPT, DEMO_HTML } from "./bundle.gen.js";
import { type AppTables, declareIn } from "./declare.js";
import { type Asset, makeAsset, respond } from "./respond.js";

const JS = "text/javascript; charset=utf-8";

export function clientPages(app: AppTables): Pages {
  // Built on first use, once per isolate: hashing needs crypto.subtle's promise.
  let assets: Promise<Map<string, Asset>> | undefined;
  const load = async () =>
    new Map([
      ["/sockizy.js", await makeAsset(declareIn(CLIENT_SCRIPT, app), JS, true)],
      ["/sockizy.mjs", await makeAsset(declareIn(CLIENT_MODULE, app), JS, true)],
      ["/", await makeAsset(DEMO_HTML, "text/html; charset=utf-8")],
    ]);

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
