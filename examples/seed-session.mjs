// A session with the seed application, from a terminal:
//   npm start                          (in one terminal)
//   node examples/seed-session.mjs     (in another)
// Frames are made by hand here, byte for byte as spec section 2 says, so
// this script needs nothing but `ws`.
import WebSocket from "ws";

const url = process.argv[2] ?? "ws://127.0.0.1:8787/";

/** common.signIn is id 0, fields last first: password, then login (u16 LE length + UTF-8 each). */
function signIn(login, password) {
  const field = (s) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(2);
    len.writeUInt16LE(b.length);
    return Buffer.concat([len, b]);
  };
  return Buffer.concat([Buffer.from([0, 0]), field(password), field(login)]);
}
const signOut = Buffer.from([1, 0]); // common.signOut is id 1, no fields

function open(name, login, password) {
  const protocols = ["sockizy"];
  if (login !== undefined) protocols.push(`sockizy.${signIn(login, password).toString("base64url")}`);
  const ws = new WebSocket(url, protocols);
  ws.on("message", (data, isBinary) => {
    if (!isBinary) console.log(`${name} <- ${data}`);
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

const watcher = await open("watcher      ");
const first = await open("D/13 (tab 1) ", "D", "13");
await pause(300);
const second = await open("D/13 (tab 2) ", "D", "13");
await pause(300);
const bad = await open("D/12         ", "D", "12");
await pause(300);
const six = await open("D/6          ", "D", "6");
await pause(300);
console.log("D/13 (tab 1) -> common.signOut");
first.send(signOut);
await pause(300);
console.log("D/13 (tab 2) -> common.signIn D/13");
second.send(signIn("D", "13"));
await pause(500);
for (const ws of [watcher, first, second, bad, six]) ws.close();
