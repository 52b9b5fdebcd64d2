import { describe, expect, it } from "vitest";
import { checkPassword } from "./password-policy.ts";

describe("password policy", () => {
  it("refuses short and guessable passwords with a reason, and takes the person's own words as guessable", () => {
    expect(checkPassword("Zx9!qLm2")).toMatchObject({ ok: false, code: "PASSWORD_TOO_SHORT" });
    expect(checkPassword("aaaaaaaaaaaa")).toMatchObject({ ok: false, code: "PASSWORD_TOO_WEAK", message: expect.stringMatching(/repeats characters/) });
    expect(checkPassword("password1234")).toMatchObject({ ok: false, code: "PASSWORD_TOO_WEAK", message: expect.stringMatching(/commonly used password/) });
    expect(checkPassword("x".repeat(257))).toMatchObject({ ok: false, code: "PASSWORD_TOO_LONG" });
    expect(checkPassword("margaretthatcher", ["margaret@example.test", "Margaret Thatcher"])).toMatchObject({ ok: false });
  });

  it("accepts passphrases", () => {
    expect(checkPassword("correct horse battery")).toEqual({ ok: true });
    expect(checkPassword("plum lantern orbit")).toEqual({ ok: true });
  });
});
