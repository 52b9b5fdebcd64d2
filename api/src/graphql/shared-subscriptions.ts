import type { DocumentNode, ExecutionResult, GraphQLSchema } from "graphql";

// One execution per distinct subscription, shared by every subscriber allowed to see the same
// thing. A health event used to be executed once per subscriber (a thousand identical
// executions for a thousand open dashboards of one workspace); now it is executed once per
// group and the same result object is handed to each member, which graphql-ws serialises with
// the member's own operation id.
//
// The group key is chosen by the caller and MUST contain everything the result depends on:
// the document, the operation name, the variables and the authorization scope (workspace and
// role). Results are read-only once produced; members never mutate them.

export type SubscriptionSource = AsyncIterable<ExecutionResult> | ExecutionResult;

/** How to start a group's execution, and what a later subscriber needs to join without parsing (schema, document). */
export type SharedArgs = { start: () => Promise<SubscriptionSource> | SubscriptionSource; schema: GraphQLSchema; document: DocumentNode };

type Item = { value: ExecutionResult } | { error: unknown } | { done: true };

/** A running group as a new subscriber sees it: its key (the one string all members share) and its arguments. */
export type RunningGroup = { readonly key: string; readonly args: SharedArgs };

/** Members served per event-loop turn when an event goes to many subscribers. */
export const BROADCAST_SLICE = 250;

/** One subscriber's view of a group: a plain iterator, so return() ends it even while next() waits. */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private queue: Item[] = [];
  private waiting: ((item: Item) => void) | null = null;
  private finished = false;

  constructor(
    private readonly group: Group,
    private readonly onEnd: () => void,
    private readonly send?: (payloadJson: string) => void,
  ) {}

  push(item: Item): void {
    if (this.finished) return;
    if (this.send && "value" in item && !item.value.errors) {
      // The common case goes straight to the socket, serialised once for the whole group.
      this.send(this.group.serialised(item.value));
      return;
    }
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(item);
    } else {
      this.queue.push(item);
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.finished && this.queue.length === 0) return Promise.resolve({ done: true, value: undefined });
    const item = this.queue.shift();
    if (item) return Promise.resolve(this.settle(item));
    return new Promise<Item>((resolve) => (this.waiting = resolve)).then((next) => this.settle(next));
  }

  private settle(item: Item): IteratorResult<ExecutionResult> {
    if ("value" in item) return { done: false, value: item.value };
    this.end();
    if ("error" in item) throw item.error;
    return { done: true, value: undefined };
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.length = 0;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ done: true });
    }
    this.group.leave(this);
    this.onEnd();
  }
}

class Group {
  readonly members = new Set<Member>();
  private iterator: AsyncIterator<ExecutionResult> | null = null;
  private state: "idle" | "starting" | "running" | "ended" = "idle";

  constructor(
    readonly key: string,
    readonly args: SharedArgs,
    private readonly registry: SharedSubscriptions,
  ) {}

  private lastResult: ExecutionResult | null = null;
  private lastJson = "";

  /** The JSON of a result, made once per result however many members send it. */
  serialised(result: ExecutionResult): string {
    if (this.lastResult !== result) {
      this.lastJson = JSON.stringify(result);
      this.lastResult = result;
    }
    return this.lastJson;
  }

  join(onEnd: () => void, send?: (payloadJson: string) => void): Member {
    const member = new Member(this, onEnd, send);
    this.members.add(member);
    if (this.state === "idle" || this.state === "ended") void this.run();
    return member;
  }

  leave(member: Member): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    // The last subscriber left: stop the execution (its topic subscription, its context).
    this.state = "ended";
    this.registry.forget(this);
    const iterator = this.iterator;
    this.iterator = null;
    void iterator?.return?.()?.catch(() => {});
  }

  /**
   * Hands an item to every member. Each push lets graphql-ws serialise and write one message,
   * so thousands of members are served in slices, yielding to the event loop between them
   * (other requests wait at most one slice); items keep their order for every member.
   */
  private broadcast(item: Item): void {
    const members = [...this.members];
    if (members.length <= BROADCAST_SLICE && this.backlog.length === 0) {
      for (const member of members) member.push(item);
      return;
    }
    this.backlog.push({ item, members, next: 0 });
    if (this.backlog.length === 1) setImmediate(() => this.drain());
  }

  private backlog: { item: Item; members: Member[]; next: number }[] = [];

  private drain(): void {
    const head = this.backlog[0];
    if (!head) return;
    const end = Math.min(head.members.length, head.next + BROADCAST_SLICE);
    for (let i = head.next; i < end; i++) head.members[i]!.push(head.item);
    head.next = end;
    if (end === head.members.length) this.backlog.shift();
    if (this.backlog.length > 0) setImmediate(() => this.drain());
  }

  private async run(): Promise<void> {
    this.state = "starting";
    this.registry.remember(this);
    let source: SubscriptionSource;
    try {
      source = await this.args.start();
    } catch (error) {
      return this.finish({ error });
    }
    if (!(Symbol.asyncIterator in source)) {
      // An error result (not allowed, bad variables…): every member gets it, then completes.
      this.broadcast({ value: source as ExecutionResult });
      return this.finish({ done: true });
    }
    const iterator = (source as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
    if (this.state !== "starting" || this.members.size === 0) {
      void iterator.return?.()?.catch(() => {});
      return;
    }
    this.iterator = iterator;
    this.state = "running";
    try {
      for (;;) {
        const next = await iterator.next();
        if (this.iterator !== iterator) return; // everyone left meanwhile
        if (next.done) return this.finish({ done: true });
        this.broadcast({ value: next.value });
      }
    } catch (error) {
      if (this.iterator === iterator) this.finish({ error });
    }
  }

  private finish(item: Item): void {
    this.state = "ended";
    this.iterator = null;
    this.registry.forget(this);
    this.broadcast(item);
  }
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  /**
   * The running group for this key, if any: a new subscriber with the same key joins it without
   * parsing or validating again, and keeps the group's key string instead of its own copy.
   */
  peek(key: string): RunningGroup | undefined {
    return this.groups.get(key);
  }

  /**
   * Joins the group for `key`, starting it with `args.start` when none runs. `onEnd` is called once
   * when this member ends, however it ends (the client completed, the socket closed, the source
   * ended or failed). With `send`, results without errors are handed to it as JSON (the same
   * string for every member) instead of through the iterator; errors, and the end, still come
   * through the iterator.
   */
  join(key: string, args: SharedArgs, onEnd: () => void = () => {}, send?: (payloadJson: string) => void): AsyncIterableIterator<ExecutionResult> {
    const group = this.groups.get(key) ?? new Group(key, args, this);
    return group.join(onEnd, send);
  }

  /** How many distinct executions run, and how many subscribers they serve (metrics, tests). */
  stats(): { groups: number; members: number } {
    let members = 0;
    for (const group of this.groups.values()) members += group.members.size;
    return { groups: this.groups.size, members };
  }

  remember(group: Group): void {
    this.groups.set(group.key, group);
  }

  forget(group: Group): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }
}

/** A canonical JSON of variables (object keys sorted), so `{a,b}` and `{b,a}` share a group. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}
