// The demo page: signs in and out through the global `io` of /sockizy.js
// (loaded just before, as a page of the original sockizy would) and shows
// what arrives: the replies, the broadcast texts and the users online.
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

// The seed answers a sign-in with one of these texts (its broadcast copy
// comes first, then the reply to this page).
const REPLY = /^USER\.(OK|MAX\.CONN|ERROR|BAD)\b/;
const KIND: Record<string, string> = { OK: "ok", "MAX.CONN": "warn", ERROR: "bad", BAD: "bad" };
let awaitingReply = false;

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

socket.on("open", () => setStatus("open", "connected"));
socket.on("close", (code) => {
  // 4001 and 4003 mean "do not come back": the client stays closed.
  if (code === 4001) setStatus("closed", "replaced by another sign-in");
  else if (code === 4003) setStatus("closed", "kicked");
  else setStatus("reconnecting", "reconnecting…");
});
socket.on("restored", () => show("connection restored", "system"));
socket.on("unrestored", (_attempts, reason) => {
  if (reason === "session") {
    me.textContent = "–";
    show("session not restored: sign in again", "system");
  } else setStatus("closed", "offline");
});

socket.on("text", (text) => {
  const m = REPLY.exec(text);
  const kind = m ? (KIND[m[1] as string] ?? "") : "";
  // "USER.OK | <uid> | <size>": the size is the number of users online.
  const ok = /^USER\.OK \| (\S+) \| (\d+)$/.exec(text);
  if (ok) online.textContent = ok[2] as string;
  const mine = m !== null && awaitingReply;
  if (mine) {
    awaitingReply = false;
    reply.textContent = text;
    if (ok) me.textContent = ok[1] as string;
  }
  show(text, mine ? `${kind} mine` : kind);
});

byId("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  awaitingReply = true;
  // Closed for good (kicked, replaced, gave up): a stopped client drops every send, the sign-in too.
  if (socket.readyState === socket.CLOSED && !socket.reconnecting) socket.connect();
  socket.emit("common.signIn", { login: login.value, password: password.value });
  password.value = ""; // the page does not keep it either
});

byId("signout").addEventListener("click", () => {
  socket.emit("common.signOut", null);
  me.textContent = "–";
  reply.textContent = "–";
  show("signed out", "system");
});
