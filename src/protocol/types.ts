// Type-level reading of schemas, so that `{ "game.hero": ["name:str32",
// "lvl:int8"] } as const` gives `{ name: string; lvl: number }` with no
// hand-written interface. Mirrors the runtime rules of schema.ts.
import type { Schema } from "./schema.js";

type Digits = `${number}` | "";
type SmallInt = `${"int" | "uint" | "i" | "u"}${8 | 16 | 32}` | `${"float" | "f"}${32 | 64}`;
type BigInt64Type = `${"int" | "uint" | "i" | "u"}64`;
type StrType = `${"str" | "s"}${Digits}`;
type BinType = `${"bin" | "b"}${Digits}`;
type JsonType = `${"json" | "j"}${Digits}`;

/** What decoding a field of type T gives (unknown when T is only known as `string`). */
export type ValueOf<T extends string> = string extends T
  ? unknown
  : T extends SmallInt
    ? number
    : T extends BigInt64Type
      ? bigint
      : T extends StrType
        ? string
        : T extends BinType
          ? Uint8Array | null
          : T extends JsonType
            ? unknown
            : never;

/** What encoding a field of type T accepts. */
export type InputOf<T extends string> = string extends T
  ? unknown
  : T extends BigInt64Type
    ? bigint | number
    : T extends BinType
      ? Uint8Array | ArrayBuffer | ArrayLike<number> | null
      : ValueOf<T>;

type NameOf<E> = E extends `${infer N}:${string}` ? N : never;
type TypeOf<E> = E extends `${string}:${infer T}` ? T : never;
type IsNamed<S extends readonly string[]> = S[number] extends `${string}:${string}` ? true : false;

type NamedOf<S extends readonly string[], Input extends boolean> = {
  [E in S[number] as NameOf<E>]: Input extends true ? InputOf<TypeOf<E>> : ValueOf<TypeOf<E>>;
};
/** The type part of a schema entry: "lvl:int8" and "int8" are both "int8". */
type EntryType<E> = E extends `${string}:${infer T}` ? T : E extends string ? E : never;
type TupleOf<S extends readonly string[], Input extends boolean> = {
  -readonly [I in keyof S]: Input extends true ? InputOf<EntryType<S[I]>> : ValueOf<EntryType<S[I]>>;
};

/** The data a handler receives for a packet of schema S. */
export type PacketData<S> = S extends null
  ? null
  : S extends string
    ? ValueOf<S>
    : S extends readonly []
      ? null
      : S extends readonly string[]
        ? IsNamed<S> extends true
          ? NamedOf<S, false>
          : TupleOf<S, false>
        : never;

/** The data `emit` accepts for a packet of schema S: an object by name or an array by position. */
export type PacketInput<S> = S extends null
  ? null | undefined
  : S extends string
    ? InputOf<S>
    : S extends readonly []
      ? null | undefined
      : S extends readonly string[]
        ? IsNamed<S> extends true
          ? NamedOf<S, true> | TupleOf<S, true>
          : TupleOf<S, true>
        : never;

/** A map from packet name to schema, as an application declares it. */
export type SchemaMap = { readonly [name: string]: Schema };

/** A packet name without its holder hint: `"chat.msg ([@])"` is `"chat.msg"` (spec section 1). */
export type StripHint<K> = K extends `${infer N} (${string})` ? N : K;

/** The packets of one direction: the map and the shared map merged, hint-free names. */
export type Merge<A extends SchemaMap, S extends SchemaMap> = {
  [K in keyof A | keyof S as StripHint<K & string>]: K extends keyof A ? A[K] : K extends keyof S ? S[K] : never;
};

/** A decoded packet: its name and data, discriminated by name. */
export type Packet<M> = {
  [K in keyof M & string]: { name: K; id: number; data: PacketData<M[K]> };
}[keyof M & string];
