// defineApp's sign-in packet: docs/api.md#defineapp-options says
// `signIn.packet` defaults to `common.signIn`. The @ts-expect-error lines are
// checked by `tsc` in `npm test` (npm run check).
import { describe, expect, expectTypeOf, it } from "vitest";
import { defineApp } from "../../src/edge/app/define-app.js";

const reply = () => {};

describe("signIn.packet", () => {
  it("is common.signIn when left out, and authenticate's data is typed from that packet", () => {
    const app = defineApp({
      packets: { unpack: { "common.signIn": ["login:str24", "password:str24"], "chat.say": ["text:str256"] } },
      signIn: {
        authenticate: (data) => {
          expectTypeOf(data).toEqualTypeOf<{ login: string; password: string }>();
          return data.login === "D" ? 13 : null;
        },
        reply,
      },
    });
    expect(app.signIn.packet).toBe("common.signIn");
  });

  it("is the one named, when named", () => {
    const app = defineApp({
      packets: { unpack: { "auth.token": ["token:str64"] } },
      signIn: { packet: "auth.token", authenticate: ({ token }) => token || null, reply },
    });
    expect(app.signIn.packet).toBe("auth.token");
  });

  it("must be named when the server receives no common.signIn, else defineApp throws", () => {
    const options = {
      packets: { unpack: { "auth.token": ["token:str64"] } },
      signIn: { authenticate: () => null, reply },
    } as const;
    // @ts-expect-error `packet` is required: there is no common.signIn to default to
    expect(() => defineApp(options)).toThrow(/signIn\.packet: "common\.signIn" is not a packet the server receives/);
  });

  it("must be a packet the server receives (a packet it only sends is refused)", () => {
    expect(() =>
      defineApp({
        packets: { unpack: { "a.b": null }, pack: { "auth.in": ["x:uint8"] } },
        // @ts-expect-error "auth.in" is sent, not received
        signIn: { packet: "auth.in", authenticate: () => null, reply },
      }),
    ).toThrow(/"auth\.in" is not a packet the server receives/);
  });
});
