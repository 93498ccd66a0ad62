// /sockizy.js and /sockizy.mjs with the application's packet tables: what
// createEdge serves by default (docs/client.md#the-served-files).

import { CLIENT_MODULE, CLIENT_SCRIPT } from "./client-bundle.gen.js";
import { type AppTables, declareIn } from "./declare.js";
import type { Pages } from "./pages.js";
import { assetPages } from "./pages.js";
import { makeAsset } from "./respond.js";

const JS = "text/javascript; charset=utf-8";

export function clientScripts(app: AppTables): Pages {
  return assetPages(
    async () =>
      new Map([
        ["/sockizy.js", await makeAsset(declareIn(CLIENT_SCRIPT, app), JS, true)],
        ["/sockizy.mjs", await makeAsset(declareIn(CLIENT_MODULE, app), JS, true)],
      ]),
  );
}
