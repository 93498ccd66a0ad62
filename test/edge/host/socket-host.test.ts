// Frames and closes, as every socket-holding object handles them:
// 1003 for an invalid packet, 1009 above maxPayload, the close answered,
// and the object and its other sockets carrying on.
import { afterEach, describe, expect, it } from "vitest";
import { adminGet, closeOpenClients, connect, signInFrame } from "../helpers.js";

afterEach(closeOpenClients);

describe("invalid packets", () => {
  const invalid: [string, Uint8Array][] = [
    ["a frame shorter than an id", new Uint8Array([0])],
    ["an unknown id", new Uint8Array([5, 5])],
    ["a field past the end", new Uint8Array([0, 0, 9, 0, 65])],
    [
      "a length above the field's N",
      (() => {
        const f = new Uint8Array(2 + 2 + 25 + 2);
        f[2] = 0;
        f[3] = 0; // password: empty
        f[4] = 25; // login: 25 bytes, above str24
        return f.slice(0, 4 + 2 + 25);
      })(),
    ],
    ["trailing bytes", new Uint8Array([1, 0, 7])],
  ];
  for (const [what, frame] of invalid) {
    it(`closes the socket with 1003 for ${what}, and other sockets carry on`, async () => {
      const other = await connect({ signIn: ["D", "6"] });
      await other.waitText("USER.OK | 6 | 1");
      const a = await connect({ signIn: ["D", "13"] });
      await a.waitText("USER.OK | 13 | 2");
      a.send(frame);
      expect(await a.closed).toBe(1003);
      // The closed socket's session is gone; the other user's is not.
      await other.waitText("USER.OK | 6 | 1");
      expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 0 });
      other.send("#ping");
      await other.waitText("#pong");
      // The object of user 13 still serves a new sign-in.
      const again = await connect({ signIn: ["D", "13"] });
      await again.waitText("USER.OK | 13 | 2");
    });
  }
});

describe("oversize frames", () => {
  it("closes with 1009 a binary frame above 32 KiB, and the object carries on", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(new Uint8Array(32 * 1024 + 1));
    expect(await a.closed).toBe(1009);
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("closes with 1009 a text frame above 32 KiB in UTF-8 bytes", async () => {
    const a = await connect();
    a.send("é".repeat(16 * 1024 + 1)); // 16 Ki + 1 chars, 32 KiB + 2 bytes
    expect(await a.closed).toBe(1009);
  });

  it("accepts a frame of exactly 32 KiB (then rejects it as a packet: 1003)", async () => {
    const a = await connect();
    a.send(new Uint8Array(32 * 1024));
    expect(await a.closed).toBe(1003);
  });
});

describe("closes", () => {
  it("answers the client's close with its code", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.close(4321);
    expect(await a.closed).toBe(4321);
  });

  it("answers a close that carries no code (1005), as a browser's ws.close() sends", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.ws.close();
    expect(await Promise.race([a.closed, new Promise((r) => setTimeout(() => r("no answer"), 1500))])).toBe(1005);
  });

  it("does not count a closing socket against the cap", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.close();
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("sends nothing to a closed socket and keeps broadcasting to the rest", async () => {
    const gone = await connect();
    const watcher = await connect();
    gone.close();
    await gone.closed;
    const a = await connect({ signIn: ["D", "13"] });
    await watcher.waitText("USER.OK | 13 | 1");
    expect(gone.texts).toEqual([]);
    a.send(signInFrame("D", "13"));
  });
});
