// The room from plain Node 20 (node --test), against a running server:
// `npm run dev` in one terminal (with .dev.vars), `npm test` in another.
// CHAT_URL (default ws://127.0.0.1:8787) and CHAT_INVITE (default the one
// in .dev.vars.example) say where and with which invite code:
//   CHAT_URL=ws://127.0.0.1:8788 CHAT_INVITE=let-me-in npm test
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { io } from "sockizy-edge/client";
import WebSocket from "ws";

const URL = process.env.CHAT_URL ?? "ws://127.0.0.1:8787";
const INVITE = process.env.CHAT_INVITE ?? "let-me-in";

// The mirror of src/packets.ts, as a client in another repository declares
// it: what this client sends, then what it receives.
const SEND = {
  "chat.signIn": ["name:str24", "invite:str64"],
  "chat.say": ["text:str256"],
  "chat.signOut": null,
};
const RECEIVE = {
  "chat.welcome": ["name:str24", "online:uint32", "motd:str256"],
  "chat.refused": ["reason:str64"],
  "chat.line": ["from:str24", "text:str256"],
  "chat.joined": ["name:str24", "online:uint32"],
  "chat.left": ["name:str24"],
};

const clients = [];
after(() => {
  for (const c of clients) c.disconnect();
});

/** A client of the room; `ws` is Node 20's WebSocket. */
function connect() {
  const client = io(URL, { WebSocket, signIn: "chat.signIn", signOut: "chat.signOut", reconnection: false });
  clients.push(client);
  return client.packets(SEND, RECEIVE);
}

/** The arguments of the client's next `event`. */
function next(client, event, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    client.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

const someone = () => `n${randomUUID().slice(0, 8)}`;

async function signIn(name) {
  const client = connect();
  const welcome = next(client, "chat.welcome");
  client.emit("chat.signIn", { name, invite: INVITE });
  const [data] = await welcome;
  return { client, welcome: data };
}

describe("the chat room", () => {
  it("welcomes a name with the invite code, with the MOTD from wrangler.toml's vars", async () => {
    const name = someone();
    const { welcome } = await signIn(name);
    assert.equal(welcome.name, name);
    assert.ok(welcome.online >= 1);
    assert.equal(welcome.motd, "Welcome to the room. Be kind.");
  });

  it("refuses a wrong invite code without echoing it, and the socket cannot chat", async () => {
    const client = connect();
    const refused = next(client, "chat.refused");
    client.emit("chat.signIn", { name: someone(), invite: "guess-123" });
    const [data] = await refused;
    assert.deepEqual(data, { reason: "wrong name or invite code" });
    const again = next(client, "chat.refused");
    client.emit("chat.say", { text: "hello?" });
    assert.deepEqual((await again)[0], { reason: "sign in to chat" });
  });

  it("sends a line to every connected socket, anonymous ones included (io.emit)", async () => {
    const name = someone();
    const { client: speaker } = await signIn(name);
    const listener = connect();
    await next(listener, "open");
    const heard = next(listener, "chat.line");
    const echoed = next(speaker, "chat.line");
    speaker.emit("chat.say", { text: "hello, room" });
    assert.deepEqual((await heard)[0], { from: name, text: "hello, room" });
    assert.deepEqual((await echoed)[0], { from: name, text: "hello, room" });
  });

  it("keeps 3 sockets per name: a 4th replaces the oldest, which hears the room no more", async () => {
    const name = someone();
    const { client: oldest } = await signIn(name);
    const { client: second } = await signIn(name);
    await signIn(name);
    const { client: newest, welcome } = await signIn(name);
    assert.equal(welcome.name, name);
    let oldestHeard = false;
    oldest.on("chat.line", () => {
      oldestHeard = true;
    });
    const heard = next(second, "chat.line");
    newest.emit("chat.say", { text: "who is here?" });
    assert.deepEqual((await heard)[0], { from: name, text: "who is here?" });
    // Sent to every open socket in one pass: had the oldest still been open, it would have heard it by now.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(oldestHeard, false);
  });

  it("closes the replaced socket: its connection is closing at once", async () => {
    const name = someone();
    const { client: oldest } = await signIn(name);
    await signIn(name);
    await signIn(name);
    await signIn(name);
    // The server's close frame (4001) arrives at once, and the socket is CLOSING. The close event, with
    // the code, follows when the connection ends; wrangler dev 4.86 leaves that to the client, so under
    // it the event comes only after ws's 30 s close timeout (on Cloudflare, at once).
    const deadline = Date.now() + 3000;
    while (oldest.readyState !== oldest.CLOSING && oldest.readyState !== oldest.CLOSED) {
      assert.ok(Date.now() < deadline, `readyState still ${oldest.readyState} after 3 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it("tells everyone when a new name joins, with the count of names online", async () => {
    const watcher = connect();
    await next(watcher, "open");
    const name = someone();
    const joined = next(watcher, "chat.joined");
    await signIn(name);
    const [data] = await joined;
    assert.equal(data.name, name);
    assert.ok(data.online >= 1);
  });

  it("tells everyone when a name's last socket signs out (session.end)", async () => {
    const name = someone();
    const { client } = await signIn(name);
    const watcher = connect();
    await next(watcher, "open");
    const left = next(watcher, "chat.left");
    client.emit("chat.signOut");
    assert.deepEqual((await left)[0], { name });
  });
});
