// A session with the seed application, from a terminal:
//   npm start                          (in one terminal)
//   node examples/seed-session.mjs     (in another)
// Another server or port: its URL as the first argument (default ws://127.0.0.1:8787/),
//   npm start -- --port 8788
//   node examples/seed-session.mjs ws://127.0.0.1:8788/
// Frames are made by hand here, byte for byte as spec section 2 says, so
// this script needs nothing but `ws`.
//
// The output is the same on every run: each step waits until every socket
// has received what the step makes the server send, then prints those
// lines in a fixed order (sockets receive a broadcast in no particular
// order). A line nobody expected is printed too, and makes the script fail.
import WebSocket from "ws";

const url = process.argv[2] ?? "ws://127.0.0.1:8787/";
const STEP_MS = 5000;

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

/** A control frame (docs/protocol.md#wire-additions): id 0xFFFF, then JSON. */
function control(data) {
  return data.length >= 2 && data[0] === 0xff && data[1] === 0xff
    ? JSON.parse(data.subarray(2).toString("utf8"))
    : null;
}

const sockets = [];

/** A socket that offers the `sockizy` subprotocol, with a sign-in in the upgrade if given. */
function open(name, login, password) {
  const protocols = ["sockizy"];
  if (login !== undefined) protocols.push(`sockizy.${signIn(login, password).toString("base64url")}`);
  const ws = new WebSocket(url, protocols);
  const s = { name, ws, texts: [], controls: [] };
  sockets.push(s);
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      // The answer to our "#ping" (below), sent by the server's runtime: not part of the session.
      if (String(data) !== "#pong") s.texts.push(String(data));
      return;
    }
    const c = control(data);
    if (c) s.controls.push(c);
    // A sign-in the cap would refuse asks the sockets in its way whether they are alive; a
    // sockizy client answers with "#ping" (docs/sign-in.md#liveness-probe), or is closed.
    if (c?.t === "probe") ws.send("#ping");
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(s));
    ws.once("error", reject);
  });
}

/** Waits until `done()` holds, at most STEP_MS. */
async function until(done, what) {
  const deadline = Date.now() + STEP_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${STEP_MS} ms (is \`npm start\` running at ${url}?)`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Waits for `expected` ([socket, text, comment?] in print order), then prints
 * it. Texts a socket received beyond what was expected of it are printed
 * after, and fail the script.
 */
async function expect(expected) {
  const wanted = new Map(sockets.map((s) => [s, expected.filter(([e]) => e === s).map(([, t]) => t)]));
  await until(
    () => sockets.every((s) => s.texts.length >= wanted.get(s).length),
    expected.map(([s, t]) => `"${t}" on ${s.name.trim()}`).join(", "),
  );
  await new Promise((r) => setTimeout(r, 50)); // room for a line nobody expected
  for (const [s, text, comment] of expected) {
    const line = `${s.name} <- ${text}`;
    console.log(comment ? `${line.padEnd(41)}# ${comment}` : line);
  }
  let surprise = false;
  for (const s of sockets) {
    const got = s.texts.splice(0);
    const want = wanted.get(s);
    if (got.length === want.length && got.every((t) => want.includes(t))) continue;
    surprise = true;
    console.log(`${s.name} received ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  if (surprise) throw new Error("the server sent something this session did not expect");
}

function say(line, comment) {
  console.log(comment ? `${line.padEnd(41)}# ${comment}` : line);
}

try {
  const watcher = await open("watcher      ");
  const first = await open("D/13 (tab 1) ", "D", "13");
  await expect([
    [watcher, "USER.OK | 13 | 1", "user 13 signs in: the reply is broadcast to everyone..."],
    [first, "USER.OK | 13 | 1"],
    [first, "USER.OK | 13 | 1", "...and sent to the signing-in socket"],
  ]);
  const second = await open("D/13 (tab 2) ", "D", "13");
  await expect([[second, "USER.MAX.CONN | 1 | 1", "cap 1: a second socket of user 13 is refused, stays connected"]]);
  const bad = await open("D/12         ", "D", "12");
  await expect([[bad, "USER.BAD | D | 12", "wrong password: stays connected, anonymous"]]);
  const six = await open("D/6          ", "D", "6");
  await expect([
    [watcher, "USER.OK | 6 | 2", "user 6 signs in; two users hold sessions"],
    [first, "USER.OK | 6 | 2"],
    [second, "USER.OK | 6 | 2"],
    [bad, "USER.OK | 6 | 2"],
    [six, "USER.OK | 6 | 2"],
    [six, "USER.OK | 6 | 2"],
  ]);

  say("D/13 (tab 1) -> common.signOut", "frees user 13's slot (no reply)");
  first.ws.send(signOut);
  // The server tells a sockizy client that its socket was unbound: the sign-out is done.
  await until(() => first.controls.some((c) => c.t === "unbound"), "unbound control frame on D/13 (tab 1)");

  say("D/13 (tab 2) -> common.signIn D/13", "the refused socket signs in, in place");
  second.ws.send(signIn("D", "13"));
  await expect([
    [watcher, "USER.OK | 13 | 2"],
    [first, "USER.OK | 13 | 2"],
    [second, "USER.OK | 13 | 2"],
    [second, "USER.OK | 13 | 2"],
    [bad, "USER.OK | 13 | 2"],
    [six, "USER.OK | 13 | 2"],
  ]);
} catch (e) {
  console.error(String(e));
  process.exitCode = 1;
} finally {
  for (const { ws } of sockets) ws.close();
}
