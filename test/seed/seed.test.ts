// The seed application's scenario and every one of its replies
// (shared/seed/session-seed.md, spec section 5 "The seed's application").
import { afterEach, describe, expect, it } from "vitest";
import { adminGet, closeOpenClients, connect, signInFrame, signOutFrame, waitSize } from "../edge/helpers.js";

afterEach(closeOpenClients);

describe("seed sign-in replies", () => {
  it("answers USER.OK | uid | size to a good sign-in in the upgrade", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
  });

  it("answers USER.MAX.CONN | 1 | 1 to a second sign-in of the same user, which stays connected", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.MAX.CONN | 1 | 1");
    expect(b.closeCode).toBeUndefined();
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
  });

  it("answers USER.BAD | login | password to a wrong password and keeps the socket anonymous", async () => {
    const a = await connect({ signIn: ["D", "12"] });
    await a.waitText("USER.BAD | D | 12");
    expect(a.closeCode).toBeUndefined();
    expect(await adminGet("/admin/size")).toEqual({ size: 0 });
  });

  it("counts a second user: USER.OK | 6 | 2", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
  });

  it("broadcasts each sign-in's reply as text to every connected socket, anonymous ones included", async () => {
    const watcher = await connect();
    const a = await connect({ signIn: ["D", "13"] });
    await watcher.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "6"] });
    await watcher.waitText("USER.OK | 6 | 2");
    await a.waitText("USER.OK | 6 | 2");
    await b.waitText("USER.OK | 6 | 2");
  });

  it("does not broadcast replies of sign-ins that did not bind", async () => {
    const watcher = await connect();
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.MAX.CONN | 1 | 1");
    const c = await connect({ signIn: ["D", "1"] });
    await c.waitText("USER.BAD | D | 1");
    // A later broadcast proves the watcher is caught up.
    const d = await connect({ signIn: ["D", "6"] });
    await watcher.waitText("USER.OK | 6 | 2");
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    await d.waitText("USER.OK | 6 | 2");
  });

  it("ignores a sign-in packet on a socket that is already signed in", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signInFrame("D", "6"));
    a.send(signOutFrame()); // proves the sign-in before it was processed
    await waitSize(0);
    expect(a.texts.filter((t) => t.startsWith("USER."))).toEqual(["USER.OK | 13 | 1", "USER.OK | 13 | 1"]);
  });
});

describe("seed sign-out and close", () => {
  it("frees the slot on sign-out: the next sign-in of that user succeeds", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signOutFrame());
    await waitSize(0);
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("frees the slot when the signed-in socket closes", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.close();
    await waitSize(0);
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("lets a signed-out socket sign in again as the same user, in place", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signOutFrame());
    await waitSize(0);
    a.send(signInFrame("D", "13"));
    await a.until((c) => c.texts.filter((t) => t === "USER.OK | 13 | 1").length >= 3);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
  });

  it("ignores sign-out on a socket that is not signed in", async () => {
    const a = await connect();
    a.send(signOutFrame());
    await connect({ signIn: ["D", "6"] });
    await a.waitText("USER.OK | 6 | 1");
    expect(a.closeCode).toBeUndefined();
  });
});
