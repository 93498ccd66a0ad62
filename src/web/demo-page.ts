// The seed application's demo page at / (src/web/demo). Only the seed's
// entry (src/index.ts) adds it; an application built on the package serves
// its own pages.
import type { Pages } from "../edge/worker.js";
import { assetPages } from "./assets.js";
import { DEMO_HTML } from "./bundle.gen.js";
import { makeAsset } from "./respond.js";

export function demoPage(): Pages {
  return assetPages(async () => new Map([["/", await makeAsset(DEMO_HTML, "text/html; charset=utf-8")]]));
}
