// Fills the application's packet tables into the client bundle, in place of
// the marker string literal that src/client/served.ts reads.
import { MARKER, type ServedApp } from "../../client/served.js";
import type { SchemaMap } from "../../protocol/index.js";

/** What the Worker knows of the application: the server's packet maps and its sign-in packet. */
export interface AppTables {
  readonly packets: { readonly unpack?: SchemaMap; readonly pack?: SchemaMap; readonly shared?: SchemaMap };
  readonly signIn?: { readonly packet: string };
}

/** The client's declaration mirrors the server's: it sends what the server unpacks. */
export function servedApp(app: AppTables): ServedApp {
  const { unpack = null, pack = null, shared = null } = app.packets;
  return { packets: [unpack, pack, shared], signIn: app.signIn?.packet };
}

export function declareIn(bundle: string, app: AppTables): string {
  const literal = JSON.stringify(MARKER);
  if (bundle.split(literal).length !== 2) throw new Error(`the client bundle must hold ${literal} exactly once`);
  // A JSON string is a JavaScript string literal, which the bundle parses back.
  return bundle.replace(literal, () => JSON.stringify(JSON.stringify(servedApp(app))));
}
