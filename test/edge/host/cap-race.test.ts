// N-way races for the seed's one slot (cap 1, policy reject; N is 100 in npm run test:full, 40 in
// the quick tier): the cap is
// checked and the socket bound in one synchronous stretch of the uid's
// object (docs/sign-in.md#sign-in-paths), so however many sign-ins arrive at once,
// through the upgrade or in-band, exactly one is admitted. Sockets come from
// 10 client IPs, 10 at once each at most: no sign-in here fails, and 10
// attempts in flight per (login, IP) is what the limits let through without
// waiting (docs/security.md#sign-in-rate-limits), so they never meet.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  adminGet,
  adminPost,
  closeOpenClients,
  connect,
  signInFrame,
  signOutFrame,
  type TestClient,
  waitSize,
} from "../helpers.js";

afterEach(closeOpenClients, 30_000);

const N = (env as unknown as Record<string, unknown>).SOCKIZY_TEST_TIER === "full" ? 100 : 40;
const OK = "USER.OK | 13 | 1";
const FULL = "USER.MAX.CONN | 1 | 1";
let ips = 0;
/** One of 10 client IPs no other test uses. */
const nextIp = () => `10.42.0.${++ips % 10}`;

const signedInThroughUpgrade = (n: number) =>
  Promise.all(Array.from({ length: n }, () => connect({ signIn: ["D", "13"], ip: nextIp() })));

/** How many times each socket got `text` since index `from` of what it received. */
const got = (c: TestClient, text: string, from = 0) => c.texts.slice(from).filter((t) => t === text).length;

/** Waits until every socket has its sign-in answered (a refusal, or the winner's direct reply after its broadcast copy). */
async function answered(clients: TestClient[], from: number[]): Promise<void> {
  await Promise.all(
    clients.map((c, i) => c.until((x) => got(x, FULL, from[i]) > 0 || got(x, OK, from[i]) >= 2, 20_000)),
  );
}

describe(`${N} sign-ins of one uid at once with cap 1`, { timeout: 60_000 }, () => {
  it(`admits exactly one through the upgrade and refuses the other ${N - 1} with USER.MAX.CONN | 1 | 1`, async () => {
    const clients = await signedInThroughUpgrade(N);
    await answered(
      clients,
      clients.map(() => 0),
    );
    const refused = clients.filter((c) => got(c, FULL) === 1);
    const admitted = clients.filter((c) => got(c, FULL) === 0);
    expect(refused).toHaveLength(N - 1);
    expect(admitted).toHaveLength(1);
    // The winner's reply once directly and once as the broadcast of its session message.
    expect(got(admitted[0] as TestClient, OK)).toBe(2);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
    await waitSize(1);
  });

  // The N sockets are held unbound by the uid's own object (refused by the cap), so a sign-in
  // frame binds them in place; each socket makes one in-band attempt (the pace allows 5 in 10 s).
  it.each([
    ["signs out", (holder: TestClient) => holder.send(signOutFrame())],
    ["closes", (holder: TestClient) => holder.close()],
    ["is cleared by the admin API", async () => void (await adminPost("/admin/clear", { uid: "13" }))],
  ] as const)(`admits exactly one in-band sign-in of ${N} sent at once after the holder %s`, async (_how, free) => {
    const [holder] = await signedInThroughUpgrade(1);
    await (holder as TestClient).until((x) => got(x, OK) === 2);
    const waiting = await signedInThroughUpgrade(N);
    await Promise.all(waiting.map((c) => c.waitText(FULL, 20_000)));
    await free(holder as TestClient);
    const slotFree = async () => ((await adminGet("/admin/count?uid=13")) as { count: number }).count === 0;
    for (let i = 0; !(await slotFree()); i++) {
      if (i > 500) throw new Error("the holder's slot was never freed");
      await new Promise((r) => setTimeout(r, 10));
    }
    const from = waiting.map((c) => c.texts.length);
    for (const c of waiting) c.send(signInFrame("D", "13"));
    await answered(waiting, from);
    const refused = waiting.filter((c, i) => got(c, FULL, from[i]) === 1);
    const admitted = waiting.filter((c, i) => got(c, FULL, from[i]) === 0);
    expect(refused).toHaveLength(N - 1);
    expect(admitted).toHaveLength(1);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
    await waitSize(1);
  });

  it(`admits exactly one of ${N / 2} in-band and ${N / 2} upgrade sign-ins racing for the freed slot`, async () => {
    const [holder] = await signedInThroughUpgrade(1);
    await (holder as TestClient).until((x) => got(x, OK) === 2);
    const waiting = await signedInThroughUpgrade(N / 2);
    await Promise.all(waiting.map((c) => c.waitText(FULL, 20_000)));
    (holder as TestClient).send(signOutFrame());
    await waitSize(0);
    const from = waiting.map((c) => c.texts.length);
    const [late] = await Promise.all([
      signedInThroughUpgrade(N / 2),
      ...waiting.map(async (c) => c.send(signInFrame("D", "13"))),
    ]);
    const all = [...waiting, ...late];
    const fromAll = [...from, ...late.map(() => 0)];
    await answered(all, fromAll);
    const admitted = all.filter((c, i) => got(c, FULL, fromAll[i]) === 0);
    expect(admitted).toHaveLength(1);
    expect(all.filter((c, i) => got(c, FULL, fromAll[i]) === 1)).toHaveLength(N - 1);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
  });
});
