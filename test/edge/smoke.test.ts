import { expect, it } from "vitest";
import { connect } from "./helpers.js";

it("signs user 13 in through the upgrade", async () => {
  const a = await connect({ signIn: ["D", "13"] });
  expect(a.protocol).toBe("sockizy");
  await a.waitText("USER.OK | 13 | 1");
  a.close();
});
