// npm run model:scale (docs/scale.md#the-model): with the defaults and the recorded bench run, no
// object passes a platform limit at 1M, 10M or 100M users; settings that would pass one make it
// exit 1, so a default cannot drift past a limit unnoticed.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const model = (...args: string[]) =>
  spawnSync("npm", ["run", "--silent", "model:scale", "--", ...args], { encoding: "utf8", timeout: 60_000 });

describe("npm run model:scale", () => {
  it("holds every limit at 1M, 10M and 100M users with the defaults", () => {
    const r = model();
    expect(r.status, r.stderr).toBe(0);
    for (const users of ["1M", "10M", "100M"]) expect(r.stdout).toContain(`${users} online users`);
    expect(r.stdout).not.toContain("PASSED");
    expect(r.stdout).toMatch(/Holds one broadcast every [\d.]+ s/);
  });

  it("keeps the global object within its limits past 64 shards, through size groups", () => {
    for (const shards of ["576", "5000"]) {
      const r = model("--shards", shards);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\| size group \([\d +]+\) \|/);
      expect(r.stdout).not.toContain("PASSED");
    }
    // No object hears from more than 64, so size's age above the budget is at most 2 x 250 ms per level.
    const deep = model("--shards", "5000").stdout;
    expect(deep).toContain("2 tier(s) of size groups");
    const ages = [...deep.matchAll(/changes of the last ([\d,]+) ms/g)].map((m) => Number(m[1]?.replace(",", "")));
    expect(ages).toHaveLength(3);
    for (const age of ages) expect(age).toBeLessThanOrEqual(3 * 500);
  });

  it("exits 1 when a row passes a limit (a batch above the subrequest limit)", () => {
    const r = model("--batch", "20000");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("PASSED: subrequests");
  });
});
