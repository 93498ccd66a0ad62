// The dashboard's page stays small: one response, everything inline
// (docs/dashboard.md#the-page says its size). Its freshness against the
// sources is test/client/assets.test.ts's (every output of build:client).
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DASHBOARD_HTML } from "../../../../src/edge/admin/dashboard/page.gen.js";

describe("the dashboard's page", () => {
  // 16.8 KB and 6.2 KB gzipped when it was written, devices table and both charts included.
  it("is under 20 KB, and 7 KB gzipped", () => {
    expect(Buffer.byteLength(DASHBOARD_HTML)).toBeLessThan(20 * 1024);
    expect(gzipSync(DASHBOARD_HTML).length).toBeLessThan(7 * 1024);
  });
});
