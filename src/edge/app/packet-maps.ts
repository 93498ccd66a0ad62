// An application's packet maps (spec section 2: schemas by name) and the
// two directions they make. Their own file because the app's options and
// the socket views both speak of them.
import type { Merge, SchemaMap } from "../../protocol/index.js";

/** A user id: what `authenticate` returns. It names the user's Durable Object. */
export type Uid = string | number;

export interface PacketMaps {
  /** Packets the server receives (client -> server). */
  readonly unpack?: SchemaMap;
  /** Packets the server sends (server -> client). */
  readonly pack?: SchemaMap;
  /** Both directions; appended after the others in each table. */
  readonly shared?: SchemaMap;
}

type Or<M> = M extends SchemaMap ? M : Record<never, never>;
export type ReceiveMap<P extends PacketMaps> = Merge<Or<P["unpack"]>, Or<P["shared"]>>;
export type SendMap<P extends PacketMaps> = Merge<Or<P["pack"]>, Or<P["shared"]>>;
