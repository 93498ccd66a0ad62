// The seed application (../shared/seed/session-seed.md) on sockizy-edge:
// its packets, its auth, a cap of 1, its exact reply texts, its `session`
// handler that broadcasts as text, and sign-out.
import { defineApp, type SignInOutcome } from "../edge/index.js";

/** The seed's auth: login D with password 13 or 6 is user 13 or 6. */
export function auth(login: string, password: string): number | null {
  if (login !== "D" || (password !== "13" && password !== "6")) return null;
  return Number.parseInt(password, 10);
}

export const C_MAX_USER_CONN = 1;

/** A text frame asking for the number of users online; the answer is `USERS.ONLINE | <size>`. */
export const USERS_ONLINE = "USERS.ONLINE";

/** The seed's reply texts (spec section 5), and one for a sign-in refused by the rate limits (docs/security.md#sign-in-rate-limits). */
export function replyText(o: SignInOutcome<{ login: string; password: string }>): string {
  switch (o.kind) {
    case "ok":
      return `USER.OK | ${o.uid} | ${o.size}`;
    case "cap":
      return `USER.MAX.CONN | ${o.cap} | ${o.count}`;
    case "bad":
      return `USER.BAD | ${o.data.login} | ${o.data.password}`;
    case "limited":
      return `USER.LIMITED | ${o.retryAfter}`;
    default:
      return "USER.ERROR";
  }
}

export const seedApp = defineApp({
  packets: {
    unpack: {
      "common.signIn": ["login:str24", "password:str24"],
      "common.signOut": null,
    },
  },
  signIn: {
    packet: "common.signIn",
    authenticate: ({ login, password }) => auth(login, password),
    cap: C_MAX_USER_CONN,
    async reply(socket, outcome) {
      const response = replyText(outcome);
      // As the seed: the broadcast is started, not awaited, before the socket's own reply,
      // so the reply never waits for the broadcast tree (docs/sign-in.md#sign-in-hops).
      const broadcast = socket.session.emit(response);
      socket.text(response);
      await broadcast;
    },
  },
  // Failed sign-ins are counted per (login, client IP) and per client IP.
  limits: { key: ({ login }) => login },
  on: {
    // Broadcasts every session message as text to every connected socket.
    session(message, _socket, io) {
      return io.text(String(message));
    },
    async "common.signOut"() {
      if (!this.session.uid) return;
      await this.session.delete();
    },
    // Not the original seed's: the demo page asks how many users are online
    // (sign-outs and closes broadcast nothing, so it cannot follow them
    // otherwise). The answer goes to the asking socket only, so no other
    // client sees a frame the seed's spec does not list.
    async text(message, socket, io) {
      if (message === USERS_ONLINE) socket.text(`${USERS_ONLINE} | ${await io.session.size()}`);
    },
  },
});
