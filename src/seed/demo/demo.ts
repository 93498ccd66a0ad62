// The demo page: signs in and out through the global `io` of /sockizy.js
// (loaded just before, as a page of the original sockizy would) and shows
// what arrives: the replies, the broadcast texts and the users online.
//
// What the page may believe, and why (spec section 5,
// docs/sign-in.md#sign-in-paths): the seed answers a sign-in with one text to the signing-in
// socket; USER.OK is also broadcast to every socket first, so a USER.OK may
// be another tab's, while USER.MAX.CONN, USER.BAD, USER.ERROR and
// USER.LIMITED only ever reach the socket that signed in. A sign-in on a
// signed-in socket gets no answer at all. A closed socket's session is gone
// unless the client holds a resume ticket (the server has TICKET_SECRET).
import type { Io } from "../../client/index.js";
import { byId, document } from "./dom.js";

const io = (globalThis as unknown as { io: Io }).io;
const socket = io();

const status = byId("status");
const feed = byId("feed");
const online = byId("online");
const me = byId("me");
const reply = byId("reply");
const login = byId("login");
const password = byId("password");

const REPLY = /^USER\.(OK|MAX\.CONN|ERROR|BAD|LIMITED)\b/;
const OK = /^USER\.OK \| (\S+) \| (\d+)$/;
const KIND: Record<string, string> = { OK: "ok", "MAX.CONN": "warn", LIMITED: "warn", ERROR: "bad", BAD: "bad" };
/** The seed answers this text, to the asking socket only, with "USERS.ONLINE | <n>". */
const USERS_ONLINE = "USERS.ONLINE";
const ONLINE = /^USERS\.ONLINE \| (\d+)$/;
/** Sign-outs and closes broadcast nothing: the page asks this often while it is visible. */
const ONLINE_EVERY_MS = 3000;
/** A sign-in whose reply has not come by then gets none (the connection carrying it was lost). */
const REPLY_WITHIN_MS = 10_000;

/** The uid this page's socket is signed in as, null when anonymous. */
let uid: string | null = null;
/** Set while a sign-in of this page waits for its reply. */
let waiting: ReturnType<typeof setTimeout> | undefined;

function show(text: string, kind: string): void {
  const item = document.createElement("li");
  item.className = kind;
  const time = document.createElement("time");
  time.textContent = new Date().toLocaleTimeString();
  const body = document.createElement("span");
  body.textContent = text; // server text is never parsed as HTML
  item.append(time, body);
  feed.prepend(item);
  while (feed.childElementCount > 60) feed.lastElementChild?.remove();
}

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function signedInAs(value: string | null): void {
  uid = value;
  me.textContent = value ?? "–";
}

function stopWaiting(): void {
  clearTimeout(waiting);
  waiting = undefined;
}

function askOnline(): void {
  // Only on an open socket: a closed one would queue the question for later.
  if (socket.readyState === socket.OPEN) socket.text(USERS_ONLINE);
}
setInterval(() => {
  if (document.visibilityState !== "hidden") askOnline();
}, ONLINE_EVERY_MS);

socket.on("open", () => {
  setStatus("open", "connected");
  askOnline();
});
socket.on("close", (code) => {
  online.textContent = "–"; // unknown until the next answer
  // The server unbinds a closed socket; only a resume ticket brings the session back.
  if (uid !== null && !socket.resumable) {
    signedInAs(null);
    show("connection lost, and the session with it (no resume ticket): sign in again", "system");
  }
  // 4001 and 4003 mean "do not come back": the client stays closed.
  if (code === 4001) setStatus("closed", "replaced by another sign-in");
  else if (code === 4003) setStatus("closed", "kicked");
  else setStatus("reconnecting", "reconnecting…");
});
socket.on("restored", () => show("connection restored", "system"));
socket.on("unrestored", (_attempts, reason) => {
  if (reason === "session") {
    signedInAs(null);
    show("session not restored: sign in again", "system");
  } else setStatus("closed", "offline");
});

socket.on("text", (text) => {
  const count = ONLINE.exec(text);
  if (count) {
    online.textContent = count[1] as string; // an answer to askOnline(): not news for the feed
    return;
  }
  const m = REPLY.exec(text);
  if (!m) {
    show(text, "");
    return;
  }
  const ok = OK.exec(text);
  if (ok) online.textContent = ok[2] as string;
  // Any reply but USER.OK is this socket's; a USER.OK only while this page waits for one.
  const mine = !ok || waiting !== undefined;
  if (mine) {
    stopWaiting();
    reply.textContent = text;
    signedInAs(ok ? (ok[1] as string) : null);
  }
  show(text, mine ? `${KIND[m[1] as string] ?? ""} mine` : (KIND[m[1] as string] ?? ""));
});

byId("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (uid !== null) {
    // The seed ignores a sign-in on a signed-in socket: no reply would come.
    show(`already signed in as ${uid}: sign out first`, "system");
    return;
  }
  stopWaiting();
  waiting = setTimeout(() => {
    waiting = undefined;
    show("no reply to the sign-in: try again", "system");
  }, REPLY_WITHIN_MS);
  // Closed for good (kicked, replaced, gave up): a stopped client drops every send, the sign-in too.
  if (socket.readyState === socket.CLOSED && !socket.reconnecting) socket.connect();
  socket.emit("common.signIn", { login: login.value, password: password.value });
  password.value = ""; // the page does not keep it either
});

byId("signout").addEventListener("click", () => {
  if (uid === null && waiting === undefined) {
    show("not signed in: nothing to sign out", "system");
    return;
  }
  stopWaiting();
  socket.emit("common.signOut", null);
  signedInAs(null);
  reply.textContent = "–";
  show("signed out", "system");
  askOnline();
});
