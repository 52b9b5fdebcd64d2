import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DocFixture } from "@switchboard/api/providers/fixtures";

// An independent fake of a provider, built only from the answers its documentation prints
// (api/src/providers/fixtures): no OAuth logic, no state, no code shared with the app or the
// sandbox emulators. A test says which documented answer each endpoint gives next; the fake
// records every request it received, so a test can also check what the app sent.

export type Recorded = { method: string; path: string; query: URLSearchParams; headers: IncomingMessage["headers"]; body: string; form: URLSearchParams };

/** What an endpoint answers: a fixture, or a function of the request returning one (async: to hold an answer). */
export type Answer = DocFixture | ((req: Recorded) => DocFixture | Promise<DocFixture>);

export type DocFake = {
  url: string;
  requests: Recorded[];
  /** Sets the answer of `METHOD /path` (the path without the query). */
  on(method: string, path: string, answer: Answer): void;
  /** Requests to `METHOD /path` so far. */
  calls(method: string, path: string): Recorded[];
  close(): Promise<void>;
};

/** A fixture with some fields of its JSON body replaced (a documented shape with test values). */
export function withBody(fixture: DocFixture, patch: Record<string, unknown>): DocFixture {
  return { ...fixture, body: { ...(fixture.body as Record<string, unknown>), ...patch } };
}

export async function startDocFake(): Promise<DocFake> {
  const routes = new Map<string, Answer>();
  const requests: Recorded[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const recorded: Recorded = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body, form: new URLSearchParams(body) };
    requests.push(recorded);
    const answer = routes.get(`${recorded.method} ${recorded.path}`);
    if (!answer) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not_documented_here", path: recorded.path }));
      return;
    }
    const fixture = typeof answer === "function" ? await answer(recorded) : answer;
    const text = typeof fixture.body === "string" ? fixture.body : fixture.body === undefined ? "" : JSON.stringify(fixture.body);
    const contentType =
      typeof fixture.body !== "string" ? "application/json" : /^[\w.-]+=/.test(fixture.body) ? "application/x-www-form-urlencoded" : "text/plain";
    res.writeHead(fixture.status, { "content-type": contentType, ...fixture.headers });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    on: (method, path, answer) => void routes.set(`${method} ${path}`, answer),
    calls: (method, path) => requests.filter((r) => r.method === method && r.path === path),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
