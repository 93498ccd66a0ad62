// Which sink a deployment gets (docs/events.md#sinks): the webhook needs its
// secret, and never sends unsigned.
import { afterEach, expect, it, vi } from "vitest";
import { sinkOf } from "../../../src/edge/events/sinks.js";
import type { Env } from "../../../src/edge/rpc/env.js";

afterEach(() => vi.restoreAllMocks());

const base = {} as Env;

it("is none without SESSION_WEBHOOK_URL", () => {
  expect(sinkOf(base, 1000)).toBeNull();
});

it("is the webhook, one event per call, with URL and secret", () => {
  expect(sinkOf({ ...base, SESSION_WEBHOOK_URL: "http://x.test/", SESSION_WEBHOOK_SECRET: "s" }, 1000)?.batch).toBe(1);
});

it("is none, said once, for a URL without its secret", () => {
  const logged = vi.spyOn(console, "error").mockImplementation(() => {});
  expect(sinkOf({ ...base, SESSION_WEBHOOK_URL: "http://x.test/" }, 1000)).toBeNull();
  expect(sinkOf({ ...base, SESSION_WEBHOOK_URL: "http://x.test/" }, 1000)).toBeNull();
  expect(logged).toHaveBeenCalledTimes(1);
  expect(logged).toHaveBeenCalledWith(expect.stringContaining("without SESSION_WEBHOOK_SECRET"));
});
