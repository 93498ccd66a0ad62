// The seed application with two more text frames, for the over-TCP flood test
// (test/tcp/floods.test.ts): "work" costs the object about half a
// millisecond of CPU time, as a frame an application really handles does
// (decoding state, checking a move), and answers "worked"; "ping" answers
// "pong" at once, from the object itself, so its round trip shows how long
// the object made it wait. The default flood limits.

import { createEdge } from "../../../src/edge/index.js";
import { seedApp } from "../../../src/seed/app.js";

/** Iterations of "work": a few tenths of a millisecond on the project's machine. */
const WORK = 100_000;

const edge = createEdge({
  ...seedApp,
  on: {
    ...seedApp.on,
    text(message) {
      if (message === "ping") this.text("pong");
      if (message !== "work") return;
      let x = 1;
      for (let i = 0; i < WORK; i++) x = (x * 31 + i) % 1_000_003;
      // The result is used, so the loop is not optimised away.
      this.text(x < 0 ? "never" : "worked");
    },
  },
});

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
