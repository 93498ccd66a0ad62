// The application of issue 16's report: its own sign-in packet
// (`auth.login`, not common.signIn) and one packet of its own, which a
// signed-in socket gets back and an anonymous one gets nothing for (as
// many applications do: anonymous sockets only listen). A client that
// sends `room.shout` right after an in-band `auth.login` would see no
// echo and no error, unless the client reports the frame.
import { createEdge, defineApp } from "../../../src/edge/index.js";

export const customSignInApp = defineApp({
  packets: {
    unpack: {
      "auth.login": ["user:str24"],
      "auth.logout": null,
      "room.shout": ["text:str64"],
    },
    pack: {
      "auth.ok": ["uid:str24"],
      "auth.bad": null,
      "room.echo": ["from:str24", "text:str64"],
    },
  },
  signIn: {
    packet: "auth.login",
    authenticate: ({ user }) => (user === "" ? null : user),
    reply(socket, outcome) {
      if (outcome.kind === "ok") return socket.emit("auth.ok", { uid: String(outcome.uid) });
      return socket.emit("auth.bad", null);
    },
  },
  limits: false,
  on: {
    "room.shout"({ text }, socket) {
      const uid = socket.session.uid;
      if (uid === null) return; // anonymous: ignored, as many applications do
      socket.emit("room.echo", { from: String(uid), text });
    },
    async "auth.logout"(_data, socket) {
      if (socket.session.uid !== null) await socket.session.delete();
    },
  },
});

const edge = createEdge(customSignInApp);
export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject } = edge;
