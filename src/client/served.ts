// The application's tables in the served script. The Worker replaces the
// string literal below with the application's declaration as JSON
// (src/edge/pages/declare.ts), so /sockizy.js defines an `io` that knows the
// packets, as the original server appended them to its client script.
import type { Io } from "./index.js";
import type { Declared } from "./types.js";

/** What the Worker writes in place of the marker. */
export interface ServedApp {
  readonly packets: Declared;
  readonly signIn?: string;
}

export const MARKER = "__SOCKIZY_APP__";

/** Declares the served application's tables on `io`, if the Worker filled them in. */
export function declareServed(io: Io, served: string): void {
  // Still the marker (the module was not served by the Worker): nothing to declare.
  if (served.charAt(0) !== "{") return;
  const app = JSON.parse(served) as ServedApp;
  io.packets(...app.packets);
  if (app.signIn) (io.defaults as { signIn?: string }).signIn = app.signIn;
}
