// The seed application with its two users signing in and out at about 20 changes a second
// (issue 18's "size that lags"): every sign-in reply's `size` is exact (docs/scale.md#the-promise).
// Before the size tree, each shard had a push budget of its own (64 pushes, then 4 a second):
// at this rate it was spent after about 10 s, and from then on a reply could miss the other
// user's latest change.
import { env } from "cloudflare:workers";
import { afterEach, expect, it } from "vitest";
import { shardOf } from "../../src/edge/registry/shards.js";
import { seedApp, USERS_ONLINE } from "../../src/seed/app.js";
import { closeOpenClients, connect, signOutFrame, type TestClient } from "../edge/helpers.js";

afterEach(closeOpenClients);

// 300 changes (15 s) in the full tier, 100 in the quick one (vitest.config.ts).
const CHANGES = (env as unknown as Record<string, unknown>).SOCKIZY_TEST_TIER === "full" ? 300 : 100;
const PER_SECOND = 20;

/** The answer to the seed's `USERS.ONLINE` text on `c`, the first after `before` texts. */
async function usersOnline(c: TestClient, before: number): Promise<string> {
  const answer = (x: TestClient) => x.texts.slice(before).find((t) => t.startsWith(`${USERS_ONLINE} |`));
  await c.until((x) => answer(x) !== undefined);
  return answer(c) as string;
}

it(`answers every sign-in with the exact size while users 13 and 6 sign in and out, ${CHANGES} changes at ${PER_SECOND} a second`, {
  timeout: 120_000,
}, async () => {
  const users = ["13", "6"] as const;
  expect(shardOf(users[0], seedApp.registryShards)).not.toBe(shardOf(users[1], seedApp.registryShards));
  const socket = new Map<string, TestClient>();
  const wrong: string[] = [];
  let random = 18; // a fixed sequence: which user changes next
  const start = Date.now();
  for (let k = 0; k < CHANGES; k++) {
    await new Promise((r) => setTimeout(r, Math.max(0, start + (k * 1000) / PER_SECOND - Date.now())));
    random = (random * 1103515245 + 12345) % 2 ** 31;
    const uid = users[(random >> 16) % 2] as string;
    const held = socket.get(uid);
    if (held) {
      // Sign-out, which the seed does not answer, then "how many are online?" on the same socket:
      // the answer comes from a push that starts after the sign-out's (the user object's calls to
      // its shard arrive in order), so it counts the sign-out, and once it is here the sign-out is
      // complete. It must be exact too. Then the socket goes.
      const before = held.texts.length;
      held.send(signOutFrame());
      held.send(USERS_ONLINE);
      socket.delete(uid);
      const online = await usersOnline(held, before);
      const want = `${USERS_ONLINE} | ${socket.size}`;
      if (online !== want)
        wrong.push(`change ${k} at +${Date.now() - start} ms: ${online} after ${uid} signed out, want ${want}`);
      held.close();
    } else {
      // Sign-in in the upgrade: its reply must count this user and the other if signed in.
      const c = await connect({ signIn: ["D", uid] });
      await c.until((x) => x.texts.some((t) => t.startsWith("USER.")));
      socket.set(uid, c);
      const reply = c.texts.find((t) => t.startsWith("USER.")) as string;
      const want = `USER.OK | ${uid} | ${socket.size}`;
      if (reply !== want) wrong.push(`change ${k} at +${Date.now() - start} ms: ${reply}, want ${want}`);
    }
  }
  const seconds = (Date.now() - start) / 1000;
  console.log(`seed size under churn: ${CHANGES} changes in ${seconds.toFixed(1)} s; inexact replies: ${wrong.length}`);
  expect(wrong).toEqual([]);
});
