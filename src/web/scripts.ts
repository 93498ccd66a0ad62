// /sockizy.js and /sockizy.mjs with the application's packet tables: what
// createEdge serves by default (README "The served files").
import type { Pages } from "../edge/worker.js";
import { assetPages } from "./assets.js";
import { CLIENT_MODULE, CLIENT_SCRIPT } from "./bundle.gen.js";
import { type AppTables, declareIn } from "./declare.js";
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
