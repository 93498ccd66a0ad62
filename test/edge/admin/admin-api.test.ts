// The admin API with ADMIN_SECRET set (the probe project checks it is off without).
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_SECRET, adminGet, adminPost, closeOpenClients, connect } from "../helpers.js";

afterEach(closeOpenClients);

describe("authorization", () => {
  it("answers 401 without a token, with a wrong one, and with the secret not as a bearer token", async () => {
    for (const auth of [undefined, "Bearer wrong", `Bearer ${ADMIN_SECRET}x`, ADMIN_SECRET]) {
      const res = await SELF.fetch("http://edge.test/admin/size", { headers: auth ? { Authorization: auth } : {} });
      expect(res.status).toBe(401);
    }
  });

  it("changes nothing on an unauthorized call", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    expect((await adminPost("/admin/clear", { uid: 13, kick: true }, "wrong")).status).toBe(401);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
  });
});

describe("io.session over HTTP", () => {
  it("reports size and count", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
    expect(await adminGet("/admin/count?uid=6")).toEqual({ uid: "6", count: 0 });
  });

  it("emits to one uid: the seed's session handler broadcasts it as text", async () => {
    const watcher = await connect();
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    expect((await adminPost("/admin/emit", { uid: 13, message: "maintenance at noon" })).status).toBe(200);
    await watcher.waitText("maintenance at noon");
  });

  it("emits to every uid when none is given", async () => {
    const watcher = await connect();
    const a = await connect({ signIn: ["D", "13"] });
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    await adminPost("/admin/emit", { message: "to all" });
    // One session event per uid, each broadcast by the seed's handler.
    await watcher.until((c) => c.texts.filter((t) => t === "to all").length === 2);
    expect(a.closeCode).toBeUndefined();
  });

  it("clears a uid, leaving its sockets connected; kick also closes them with 4003", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await adminPost("/admin/clear", { uid: 13 });
    expect(await adminGet("/admin/size")).toEqual({ size: 0 });
    expect(a.closeCode).toBeUndefined();
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 1");
    await adminPost("/admin/clear", { uid: 6, kick: true });
    expect(await b.closed).toBe(4003);
  });

  it("broadcasts text to every socket", async () => {
    const anon = await connect();
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await adminPost("/admin/text", { text: "hello everyone" });
    await anon.waitText("hello everyone");
    await a.waitText("hello everyone");
  });

  it("answers 400 to a bad body and 404 to an unknown route", async () => {
    expect((await adminPost("/admin/text", { text: 5 })).status).toBe(400);
    expect((await adminPost("/admin/clear", {})).status).toBe(400);
    expect((await adminPost("/admin/emit", { uid: null, message: "x" })).status).toBe(400);
    expect((await adminPost("/admin/emit", { uid: 13 })).status).toBe(400);
    const res = await SELF.fetch("http://edge.test/admin/clear", {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
      body: "not json",
    });
    expect(res.status).toBe(400);
    expect((await adminPost("/admin/nothing", {})).status).toBe(404);
    expect(await adminGet("/admin/count")).toEqual({ error: "uid query parameter required" });
  });
});
