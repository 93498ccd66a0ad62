// What the Worker serves besides the WebSocket endpoint: the client script
// with the application's tables and the ES module (createEdge serves them by
// default), and the seed's demo page. The files are built into
// bundle.gen.ts by scripts/build-client.ts (README "Building them").
import type { Pages } from "../edge/worker.js";
import { firstOf } from "./assets.js";
import type { AppTables } from "./declare.js";
import { demoPage } from "./demo-page.js";
import { clientScripts } from "./scripts.js";

export { firstOf } from "./assets.js";
export { demoPage } from "./demo-page.js";
export { clientScripts } from "./scripts.js";

/** The seed's routes: /sockizy.js, /sockizy.mjs and the demo page at /. */
export function clientPages(app: AppTables): Pages {
  return firstOf(clientScripts(app), demoPage()) as Pages;
}
