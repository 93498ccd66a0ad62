// The verification snippets of docs/events.md#the-signature, for Node and for
// Workers, run as written: each accepts what the edge signs
// (src/edge/events/signature.ts) and refuses a changed body, another secret,
// a time outside the tolerance and a malformed header.
import { describe, expect, it } from "vitest";
import { signature } from "../../src/edge/events/signature.js";
import { loadVerify, NODE_SNIPPET, WORKER_SNIPPET } from "../support/signature-snippets.js";

const SECRET = "whsec-test";
const BODY = JSON.stringify({ id: "e1", uid: 13, seq: 1, type: "online", at: 1, sockets: 1 });

for (const heading of [NODE_SNIPPET, WORKER_SNIPPET]) {
  describe(heading.slice(4), () => {
    it("accepts a signature the edge made, within the tolerance either way", async () => {
      const verify = await loadVerify(heading);
      const now = Date.now();
      expect(await verify(BODY, await signature(SECRET, BODY, now), SECRET)).toBe(true);
      expect(await verify(BODY, await signature(SECRET, BODY, now - 4 * 60_000), SECRET, now)).toBe(true);
      expect(await verify(BODY, await signature(SECRET, BODY, now + 4 * 60_000), SECRET, now)).toBe(true);
    });

    it("refuses a changed body, another secret, an old or future time, a malformed header", async () => {
      const verify = await loadVerify(heading);
      const now = Date.now();
      const good = await signature(SECRET, BODY, now);
      expect(await verify(`${BODY} `, good, SECRET)).toBe(false);
      expect(await verify(BODY, good, "another")).toBe(false);
      expect(await verify(BODY, await signature(SECRET, BODY, now - 6 * 60_000), SECRET, now)).toBe(false);
      expect(await verify(BODY, await signature(SECRET, BODY, now + 6 * 60_000), SECRET, now)).toBe(false);
      // The time is part of what is signed: a replay with a fresh t does not verify.
      expect(await verify(BODY, good.replace(/^t=\d+/, `t=${now + 1}`), SECRET)).toBe(false);
      for (const bad of [
        null,
        "",
        "t=abc,v1=00",
        good.toUpperCase(),
        good.slice(0, -2),
        `v1=${good.split("v1=")[1]}`,
      ]) {
        expect(await verify(BODY, bad, SECRET)).toBe(false);
      }
    });
  });
}
