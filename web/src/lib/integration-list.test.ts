import { describe, expect, it } from "vitest";
import { applyEvent } from "./integration-list";

type Row = { id: string; state: string };
const a: Row = { id: "a", state: "HEALTHY" };
const b: Row = { id: "b", state: "HEALTHY" };

describe("applyEvent", () => {
  it("replaces a connection by id, keeping the list's order and the input unchanged", () => {
    const list = [a, b];
    const next = applyEvent(list, { integrationId: "a", integration: { id: "a", state: "UNHEALTHY" } });
    expect(next).toEqual([{ id: "a", state: "UNHEALTHY" }, b]);
    expect(list).toEqual([a, b]);
  });

  it("adds a new connection and drops one that no longer exists", () => {
    expect(applyEvent([a], { integrationId: "b", integration: b })).toEqual([a, b]);
    expect(applyEvent([a, b], { integrationId: "a", integration: null })).toEqual([b]);
    expect(applyEvent([b], { integrationId: "a", integration: null })).toEqual([b]);
  });
});
