import { describe, expect, it } from "vitest";
import { Repeater } from "graphql-yoga";
import { parse, type ExecutionResult } from "graphql";
import { BROADCAST_SLICE, SharedSubscriptions, canonicalJson, type SharedArgs } from "./shared-subscriptions.ts";
import { schema } from "./schema.ts";

/** A source the test pushes into, counting how often it was started and stopped. */
function controlledSource() {
  const state = { starts: 0, stops: 0, push: (_v: ExecutionResult) => {}, stop: (_e?: unknown) => {} };
  const args: SharedArgs = {
    schema,
    document: parse("subscription { healthStatus { integrationId } }"),
    start: () => {
      state.starts++;
      return new Repeater<ExecutionResult>(async (push, stop) => {
        state.push = (v) => void push(v);
        state.stop = (e) => stop(e);
        await stop;
        state.stops++;
      });
    },
  };
  return { state, args };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("shared subscription executions", () => {
  it("starts one execution for many members and hands each the same result", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const members = Array.from({ length: 5 }, () => shared.join("k", args));
    await tick();
    expect(state.starts).toBe(1);
    expect(shared.stats()).toEqual({ groups: 1, members: 5 });
    const pending = members.map((m) => m.next());
    const result = { data: { n: 1 } };
    state.push(result);
    for (const r of await Promise.all(pending)) expect(r).toEqual({ done: false, value: result });
  });

  it("peek finds the running group by an equal key, with the group's own key and arguments, until it ends", async () => {
    const shared = new SharedSubscriptions();
    const { args } = controlledSource();
    const key = ["w-1", "owner", "", "{}", "subscription { healthStatus { integrationId } }"].join("\u0000");
    expect(shared.peek(key)).toBeUndefined();
    const member = shared.join(key, args);
    const running = shared.peek(["w-1", "owner", "", "{}", "subscription { healthStatus { integrationId } }"].join("\u0000"));
    expect(running?.key).toBe(key);
    expect(running?.args).toBe(args);
    await member.return!();
    expect(shared.peek(key)).toBeUndefined();
  });

  it("a member leaving does not end the others; the last one leaving stops the execution", async () => {
    const shared = new SharedSubscriptions();
    const ended: string[] = [];
    const { state, args } = controlledSource();
    const a = shared.join("k", args, () => ended.push("a"));
    const b = shared.join("k", args, () => ended.push("b"));
    await tick();
    const waitingA = a.next(); // return() must end it even while next() waits
    await a.return!();
    expect(await waitingA).toEqual({ done: true, value: undefined });
    expect(ended).toEqual(["a"]);
    const nextB = b.next();
    state.push({ data: { n: 2 } });
    expect(await nextB).toEqual({ done: false, value: { data: { n: 2 } } });
    expect(state.stops).toBe(0);
    await b.return!();
    await tick();
    expect(state.stops).toBe(1);
    expect(ended).toEqual(["a", "b"]);
    expect(shared.stats()).toEqual({ groups: 0, members: 0 });
  });

  it("a member joining after the group ended starts a new execution", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const a = shared.join("k", args);
    await tick();
    await a.return!();
    await tick();
    const b = shared.join("k", args);
    await tick();
    expect(state.starts).toBe(2);
    const next = b.next();
    state.push({ data: { n: 3 } });
    expect((await next).value).toEqual({ data: { n: 3 } });
  });

  it("different keys never share", async () => {
    const shared = new SharedSubscriptions();
    const one = controlledSource();
    const two = controlledSource();
    const a = shared.join("workspace-1\u0000OWNER", one.args);
    const b = shared.join("workspace-2\u0000OWNER", two.args);
    await tick();
    const nextA = a.next();
    const nextB = b.next();
    one.state.push({ data: { from: 1 } });
    two.state.push({ data: { from: 2 } });
    expect((await nextA).value).toEqual({ data: { from: 1 } });
    expect((await nextB).value).toEqual({ data: { from: 2 } });
  });

  it("an error result (not allowed, bad variables) reaches every member once, then they complete", async () => {
    const shared = new SharedSubscriptions();
    const denied = { errors: [new Error("Not allowed")] } as unknown as ExecutionResult;
    const args: SharedArgs = { schema, document: parse("subscription { healthStatus { integrationId } }"), start: async () => denied };
    const a = shared.join("k", args);
    const b = shared.join("k", args);
    expect(await a.next()).toEqual({ done: false, value: denied });
    expect(await b.next()).toEqual({ done: false, value: denied });
    expect((await a.next()).done).toBe(true);
    expect((await b.next()).done).toBe(true);
    expect(shared.stats().groups).toBe(0);
  });

  it("a failing source fails every member's stream", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const a = shared.join("k", args);
    const b = shared.join("k", args);
    await tick();
    const pending = [a.next(), b.next()];
    state.stop(new Error("source broke"));
    for (const p of pending) await expect(p).rejects.toThrow("source broke");
    expect(shared.stats().groups).toBe(0);
  });

  it("serves many members in slices, keeping every member's order of events", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const members = Array.from({ length: BROADCAST_SLICE * 2 + 7 }, () => shared.join("k", args));
    await tick();
    const received = members.map(() => [] as unknown[]);
    const reading = members.map(async (m, i) => {
      for (let n = 0; n < 3; n++) received[i]!.push((await m.next()).value);
    });
    state.push({ data: { n: 1 } });
    state.push({ data: { n: 2 } });
    state.push({ data: { n: 3 } });
    // Within this turn of the event loop (microtasks only) not every member was served: the
    // broadcast yields instead of holding the loop for all of them.
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(received.filter((r) => r.length > 0).length).toBeLessThan(members.length);
    await Promise.all(reading);
    for (const r of received) expect(r).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]);
  });

  it("with a sender, results go out as one JSON string for the whole group; errors and the end still come through the iterator", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const sent: string[][] = [[], [], []];
    const members = sent.map((box) => shared.join("k", args, () => {}, (json) => box.push(json)));
    await tick();
    const result = { data: { healthStatus: { integrationId: "a" } } };
    state.push(result);
    await new Promise((r) => setTimeout(r, 10));
    for (const box of sent) expect(box).toEqual([JSON.stringify(result)]);
    const failing = { data: null, errors: [{ message: "Not allowed" }] } as unknown as ExecutionResult;
    const next = members.map((m) => m.next());
    state.push(failing);
    for (const r of await Promise.all(next)) expect(r).toEqual({ done: false, value: failing });
    const ends = members.map((m) => m.next());
    state.stop();
    for (const r of await Promise.all(ends)) expect(r.done).toBe(true);
    for (const box of sent) expect(box).toHaveLength(1);
  });

  it("a member ended while a large broadcast is served in slices receives nothing more (access revoked mid-fan-out)", async () => {
    const shared = new SharedSubscriptions();
    const { state, args } = controlledSource();
    const sent = Array.from({ length: BROADCAST_SLICE * 3 }, () => [] as string[]);
    const members = sent.map((box) => shared.join("k", args, () => {}, (json) => box.push(json)));
    await tick();
    state.push({ data: { n: 1 } });
    state.push({ data: { n: 2 } });
    // Let the first slice of the first event go out, then end the last member (its socket
    // closed for an access change) before the backlog reaches it.
    for (let i = 0; i < 50; i++) await Promise.resolve(); // both events reach the group; no slice has gone out yet
    await new Promise((r) => setImmediate(r)); // the first slice of the first event goes out
    const last = members.length - 1;
    expect(sent[0]).toHaveLength(1);
    expect(sent[last]).toEqual([]);
    await members[last]!.return!();
    await new Promise((r) => setTimeout(r, 20));
    expect(sent[last]).toEqual([]);
    for (const box of sent.slice(0, last)) expect(box).toHaveLength(2);
    expect(shared.stats()).toEqual({ groups: 1, members: last });
  });

  it("variables are keyed canonically", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
    expect(canonicalJson({ a: undefined })).toBe(canonicalJson({}));
  });
});
