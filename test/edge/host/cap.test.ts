// The cap is enforced atomically in the user object: concurrent sign-ins of
// one uid cannot both pass.
import { afterEach, expect, it } from "vitest";
import { adminGet, closeOpenClients, connect, type TestClient } from "../helpers.js";

afterEach(closeOpenClients);

it("gives exactly one USER.OK to 50 concurrent sign-ins of one uid with cap 1", async () => {
  const clients = await Promise.all(Array.from({ length: 50 }, () => connect({ signIn: ["D", "13"] })));
  // Every sign-in is answered directly; the winner's reply is also broadcast
  // to all, so the losers are the ones that got USER.MAX.CONN.
  await Promise.all(
    clients.map((c) => c.until((x) => x.texts.some((t) => t === "USER.MAX.CONN | 1 | 1" || t === "USER.OK | 13 | 1"))),
  );
  const losers = clients.filter((c) => c.texts.includes("USER.MAX.CONN | 1 | 1"));
  expect(losers).toHaveLength(49);
  const winner = clients.find((c) => !losers.includes(c)) as TestClient;
  await winner.until((x) => x.texts.filter((t) => t === "USER.OK | 13 | 1").length === 2); // broadcast + direct
  expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
  expect(await adminGet("/admin/size")).toEqual({ size: 1 });
});
