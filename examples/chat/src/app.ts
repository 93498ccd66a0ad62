// The chat room: people sign in with a name and the room's invite code (a
// secret), up to 3 tabs per name (a 4th replaces the oldest), say lines that
// everyone connected sees, and everyone hears when a name's last tab leaves.
import { env } from "cloudflare:workers";
import { defineApp } from "sockizy-edge";
import { packets } from "./packets.js";

/** Compares secrets in constant time (both hashed first, so their lengths do not show). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const bytes = (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return crypto.subtle.timingSafeEqual(await bytes(given), await bytes(expected));
}

export const chatApp = defineApp({
  packets,
  signIn: {
    packet: "chat.signIn",
    // `env` is the deployment's: wrangler.toml's bindings and vars, and secrets (.dev.vars locally).
    async authenticate({ name, invite }, env) {
      // Thrown, this becomes the "error" outcome (and a log line), never a silent open door.
      if (!env.CHAT_INVITE) throw new Error("CHAT_INVITE is not set (.dev.vars, or `wrangler secret put`)");
      const uid = name.trim();
      if (uid === "" || !(await sameSecret(invite, env.CHAT_INVITE))) return null;
      return uid;
    },
    cap: 3,
    policy: "replace-oldest",
    async reply(socket, outcome, io) {
      switch (outcome.kind) {
        case "ok": {
          const name = String(outcome.uid);
          // Handlers and replies reach the environment through the runtime's `env` import.
          socket.emit("chat.welcome", { name, online: outcome.size, motd: env.MOTD });
          // A name's first tab: everyone hears it, with the new count (the pages show "(N online)").
          if ((await socket.session.count()) === 1) await io.emit("chat.joined", { name, online: outcome.size });
          return;
        }
        case "bad":
          // Never echo the invite code back.
          return socket.emit("chat.refused", { reason: "wrong name or invite code" });
        default:
          return socket.emit("chat.refused", { reason: "cannot sign in right now" });
      }
    },
  },
  on: {
    async "chat.say"({ text }, socket, io) {
      const from = socket.session.uid;
      // Anonymous sockets hear the room but cannot speak in it.
      if (from === null) return socket.emit("chat.refused", { reason: "sign in to chat" });
      if (text.trim() === "") return;
      await io.emit("chat.line", { from: String(from), text });
    },
    async "chat.signOut"(_data, socket) {
      if (socket.session.uid !== null) await socket.session.delete();
    },
    // The name's last socket was signed out or closed: one fewer online. The pages count
    // down themselves: the registry learns of the leave after this handler, so `size` here
    // would still count the name.
    async "session.end"(uid, _socket, io) {
      await io.emit("chat.left", { name: String(uid) });
    },
  },
});
