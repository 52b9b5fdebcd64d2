import { describe, expect, it } from "vitest";
import { mergeChecks } from "./merge-checks";

const check = (id: string, minute: number, status = "HEALTHY") => ({ id, checkedAt: new Date(Date.UTC(2026, 2, 4, 10, minute)).toISOString(), status });

describe("the check log's pages merged", () => {
  it("keeps every check once, latest first, a later copy winning", () => {
    const loaded = [check("c", 3), check("b", 2), check("a", 1)];
    // An event's first page pushed "a" past the page; the log still has it.
    const fromEvent = [check("d", 4), check("c", 3, "DEGRADED"), check("b", 2)];
    expect(mergeChecks(loaded, fromEvent).map((c) => `${c.id}:${c.status}`)).toEqual(["d:HEALTHY", "c:DEGRADED", "b:HEALTHY", "a:HEALTHY"]);
  });
});
