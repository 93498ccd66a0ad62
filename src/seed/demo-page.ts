// The seed application's demo page at / (src/seed/demo). Only the seed's
// Worker (src/seed/worker.ts) adds it; an application built on the package serves
// its own pages.
import type { Pages } from "../edge/pages/pages.js";
import { assetPages } from "../edge/pages/pages.js";
import { makeAsset } from "../edge/pages/respond.js";
import { DEMO_HTML } from "./demo/page.gen.js";

export function demoPage(): Pages {
  return assetPages(async () => new Map([["/", await makeAsset(DEMO_HTML, "text/html; charset=utf-8")]]));
}
