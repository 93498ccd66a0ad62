// The Worker's sign-in paths (docs/sign-in.md#sign-in-paths): in the upgrade as a
// subprotocol or a query parameter, none, malformed, and the reconnect
// instruction for a sign-in sent as an ordinary frame.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { decodeControl, toBase64Url } from "../../../src/protocol/control.js";
import {
  closeOpenClients,
  connect,
  seedTables,
  signInFrame,
  signOutFrame,
  type TestClient,
  upgrade,
} from "../helpers.js";

afterEach(closeOpenClients);

const controls = (c: TestClient) =>
  c.received.filter((m): m is Uint8Array => typeof m !== "string").map((m) => decodeControl(m));

describe("sign-in in the upgrade", () => {
  it("selects the sockizy subprotocol when the client offers it", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    expect(a.protocol).toBe("sockizy");
  });

  it("accepts the sign-in as a signin= query parameter from a client that offers no subprotocol", async () => {
    const a = await connect({ signIn: ["D", "13"], ctl: false, viaQuery: true });
    expect(a.protocol).toBeNull();
    await a.waitText("USER.OK | 13 | 1");
  });

  it("accepts a client that offers no subprotocol and no sign-in, as the original client did", async () => {
    const a = await connect({ ctl: false });
    expect(a.protocol).toBeNull();
    a.send("#ping");
    await a.waitText("#pong");
  });

  it("refuses a sign-in that is not base64url with 400 and touches no object", async () => {
    const res = await upgrade({ raw: "not*base64" });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("sign-in: not base64url\n");
  });

  it("refuses a sign-in frame that does not decode with 400 and the decode error", async () => {
    const res = await upgrade({ raw: toBase64Url(new Uint8Array([0, 0, 9])) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^sign-in: invalid frame \(truncated\) in packet "common.signIn"/);
  });

  it("refuses another packet in place of the sign-in with 400", async () => {
    const res = await upgrade({ raw: toBase64Url(signOutFrame()) });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('sign-in: the upgrade carries "common.signOut", not "common.signIn"\n');
  });

  it("answers 404 to an upgrade on another path", async () => {
    const res = await SELF.fetch("http://edge.test/other", { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(404);
  });
});

describe("a sign-in sent as an ordinary frame", () => {
  it("tells a sockizy client in the lobby to reconnect with that sign-in in the upgrade", async () => {
    const a = await connect();
    const frame = signInFrame("D", "13");
    a.send(frame);
    await a.until((c) => controls(c).length > 0);
    expect(controls(a)).toEqual([{ t: "reconnect", signin: toBase64Url(frame) }]);
    // Following the instruction signs the user in.
    const b = await connect({ raw: toBase64Url(frame) });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("answers a bad password in the lobby with USER.BAD and no instruction", async () => {
    const a = await connect();
    a.send(signInFrame("D", "7"));
    await a.waitText("USER.BAD | D | 7");
    expect(controls(a)).toEqual([]);
  });

  it("binds a client that cannot follow the instruction (no sockizy subprotocol) by relay (test/edge/relay/relay.test.ts)", async () => {
    const a = await connect({ ctl: false });
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    expect(controls(a)).toEqual([]);
  });

  it("tells a signed-out socket in user 13's object to reconnect to sign in as user 6", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signOutFrame());
    const frame = signInFrame("D", "6");
    a.send(frame);
    await a.until((c) => controls(c).some((m) => m?.t === "reconnect"));
    expect(controls(a).filter((m) => m?.t === "reconnect")).toEqual([{ t: "reconnect", signin: toBase64Url(frame) }]);
  });
});

describe("the sign-in frame", () => {
  it("is the seed's common.signIn: id 0, password then login", () => {
    expect([...seedTables.receive.encode("common.signIn", { login: "D", password: "13" })]).toEqual([
      0, 0, 2, 0, 0x31, 0x33, 1, 0, 0x44,
    ]);
  });
});
