import { describe, expect, it } from "vitest";
import { isoString } from "./iso-date.ts";

describe("isoString", () => {
  it("writes what toISOString writes", () => {
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 951_868_799_999, 4_107_542_399_999 /* 2100-02-28 */, 253_402_300_799_999, Date.UTC(2026, 11, 31, 23, 59, 59, 999)];
    for (const t of edges) expect(isoString(new Date(t)), String(t)).toBe(new Date(t).toISOString());
    let t = 0;
    for (let i = 0; i < 200_000; i++) {
      t = (t + 1_299_827_911_777 * (i + 1)) % 253_402_300_800_000;
      expect(isoString(new Date(t))).toBe(new Date(t).toISOString());
    }
  });

  it("leaves dates before 1970 and after 9999 to toISOString, and throws on an invalid date as it does", () => {
    for (const t of [-1, -62_135_596_800_000, 253_402_300_800_000, 8.64e15]) expect(isoString(new Date(t))).toBe(new Date(t).toISOString());
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});
