// The global object's latest scrape for /admin/stats (src/edge/registry/recent-scrape.ts):
// reused while young, shared while under way, dropped when it failed.
import { describe, expect, it } from "vitest";
import { RecentScrape } from "../../../src/edge/registry/recent-scrape.js";

describe("RecentScrape", () => {
  it("answers from the last scrape while it is at most maxAgeMs old, then scrapes again", async () => {
    const recent = new RecentScrape<number>(5_000);
    let scrapes = 0;
    const scrape = async () => ++scrapes;
    expect(await recent.get(scrape, 1_000)).toEqual({ at: 1_000, value: 1 });
    expect(await recent.get(scrape, 6_000)).toEqual({ at: 1_000, value: 1 });
    expect(await recent.get(scrape, 6_001)).toEqual({ at: 6_001, value: 2 });
    // A scrape kept for another reason (/admin/metrics) is as good.
    recent.keep(7_000, Promise.resolve(10));
    expect(await recent.get(scrape, 8_000)).toEqual({ at: 7_000, value: 10 });
    expect(scrapes).toBe(2);
  });

  it("lets polls that arrive during a scrape wait for that one", async () => {
    const recent = new RecentScrape<string>(5_000);
    let release: (v: string) => void = () => {};
    let scrapes = 0;
    const scrape = () => {
      scrapes++;
      return new Promise<string>((r) => (release = r));
    };
    const polls = [recent.get(scrape, 0), recent.get(scrape, 10), recent.get(scrape, 20)];
    release("figures");
    expect((await Promise.all(polls)).map((p) => p.value)).toEqual(["figures", "figures", "figures"]);
    expect(scrapes).toBe(1);
  });

  it("does not keep a failed scrape: the poll sees the failure, the next one scrapes again", async () => {
    const recent = new RecentScrape<number>(5_000);
    await expect(recent.get(() => Promise.reject(new Error("a shard is down")), 0)).rejects.toThrow("a shard is down");
    expect(await recent.get(async () => 7, 10)).toEqual({ at: 10, value: 7 });
  });
});
