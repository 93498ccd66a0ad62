// The seed application made to close sockets every way the server does, for
// the close timing over TCP (test/tcp/close-timing.test.ts): cap policy
// "replace-oldest" (4001), a 3 s heartbeatTimeoutMs so a holder that has
// not pinged for 3 s is reaped by the next sign-in (1001), and a text
// frame "close 1008" the application answers by closing its socket with
// 1008 (a policy close, made in the socket's own frame, as a flood close
// would be). Kicks (4003), invalid packets (1003) and frames above
// maxPayload (1009) are the product's own.
import { createEdge } from "../../../src/edge/index.js";
import { seedApp } from "../../../src/seed/app.js";
import { HEARTBEAT_TIMEOUT_MS } from "./timeout.js";

const edge = createEdge({
  ...seedApp,
  signIn: { ...seedApp.signIn, policy: "replace-oldest" },
  heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
  on: {
    ...seedApp.on,
    text(message, socket, io) {
      if (message === "close 1008") socket.disconnect(1008, "policy");
      else return seedApp.on.text?.call(socket, message, socket, io);
    },
  },
});

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
