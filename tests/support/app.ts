import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@switchboard/api/env";
import { buildApp, type App } from "@switchboard/api/app";
import { createLogger } from "@switchboard/api/logger";
import { createTestDatabase, type TestDatabase } from "./postgres.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function testSecrets() {
  return {
    ENCRYPTION_KEYS: `test1:${randomBytes(32).toString("base64")}`,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
  };
}

/** Strong enough for the password policy (12+ characters, zxcvbn score 3+). */
export const DEFAULT_PASSWORD = "correct horse battery";

export type TestApp = {
  app: App;
  url: string;
  origin: string;
  /** Every log line the server wrote, as text (for leak checks). */
  logs: () => string;
  /** Every GraphQL response body this helper received, as text (for leak checks). */
  responses: string[];
  db: TestDatabase | null;
  signUp(options?: { email?: string; name?: string; password?: string }): Promise<{ cookie: string; email: string; userId: string; workspaceId: string }>;
  /** Signs in over HTTP; returns the session cookie (name=value pairs) and the user's id. */
  signIn(email: string, password?: string): Promise<{ cookie: string; userId: string }>;
  /**
   * Puts `user` in `by`'s workspace with `role`, the way the product does it: `by` invites the
   * address (Mutation.inviteMember), `user` accepts (Mutation.acceptInvitation), which moves
   * that session to the workspace. Returns the membership id.
   */
  addMember(by: { cookie: string }, user: { cookie: string; email: string }, role: "OWNER" | "ADMIN" | "MEMBER" | "VIEWER"): Promise<string>;
  gql<T = any>(
    query: string,
    options?: { cookie?: string; apiKey?: string; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<{ status: number; body: { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }; setCookies: string[] }>;
  close(): Promise<void>;
};

/** Starts the composed server on a free port, on a fresh Postgres database or a fresh PGlite dir. */
export async function startTestApp(
  options: { database: "postgres" | "pglite"; env?: Record<string, string>; port?: number; databaseUrl?: string } = { database: "postgres" },
): Promise<TestApp> {
  const port = options.port ?? (await freePort());
  const origin = `http://localhost:${port}`;
  // A second app on an existing database (another replica) passes databaseUrl and owns nothing.
  const db = options.databaseUrl ? null : options.database === "postgres" ? await createTestDatabase("app") : null;
  const databaseUrl = options.databaseUrl ?? db?.url;
  const dataDir = mkdtempSync(join(tmpdir(), "sb-test-"));
  const env = parseEnv({
    NODE_ENV: "test",
    PORT: String(port),
    PUBLIC_URL: origin,
    DATA_DIR: dataDir,
    LOG_LEVEL: "debug",
    // Tests drive sweeps and deliveries themselves (scheduler.sweep(), webhooks.runOnce()).
    HEALTH_SCHEDULER: "off",
    WEBHOOK_DISPATCHER: "off",
    // Tests create many accounts; a deployment's default (invite) has its own tests.
    SIGNUP: "open",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.env?.ENCRYPTION_KEYS ? {} : testSecrets()),
    ...options.env,
  });
  let logText = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logText += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: "debug", destination: sink });
  const app = await buildApp({ env, logger });
  await app.listen(port, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;

  const responses: string[] = [];
  const gql: TestApp["gql"] = async (query, opts = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables: opts.variables }) });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, body: JSON.parse(text) as never, setCookies: res.headers.getSetCookie() };
  };

  const signIn: TestApp["signIn"] = async (email, password = DEFAULT_PASSWORD) => {
    const res = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const { user } = (await res.json()) as { user: { id: string } };
    return { cookie, userId: user.id };
  };

  let n = 0;
  // Sign-up answers alike for new and taken addresses and starts no session: sign in after it.
  const signUp: TestApp["signUp"] = async (o = {}) => {
    const email = o.email ?? `user${Date.now()}${n++}${randomBytes(2).toString("hex")}@example.test`;
    const password = o.password ?? DEFAULT_PASSWORD;
    const res = await fetch(`${url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email, password, name: o.name ?? "Test User" }),
    });
    if (res.status !== 200) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
    const { cookie, userId } = await signIn(email, password);
    const membership = await app.db.prisma.member.findFirstOrThrow({ where: { userId }, orderBy: { createdAt: "asc" } });
    return { cookie, email, userId, workspaceId: membership.organizationId };
  };

  const addMember: TestApp["addMember"] = async (by, user, role) => {
    const invited = await gql<{ inviteMember: { acceptUrl: string } }>(`mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { acceptUrl } }`, { cookie: by.cookie, variables: { e: user.email, r: role } });
    if (!invited.body.data?.inviteMember) throw new Error(`inviteMember failed: ${JSON.stringify(invited.body.errors)}`);
    const token = invited.body.data.inviteMember.acceptUrl.split("/invite/")[1]!;
    const accepted = await gql<{ acceptInvitation: { workspace: { id: string } } }>(`mutation($t: String!) { acceptInvitation(token: $t) { workspace { id } } }`, { cookie: user.cookie, variables: { t: token } });
    if (!accepted.body.data?.acceptInvitation) throw new Error(`acceptInvitation failed: ${JSON.stringify(accepted.body.errors)}`);
    const member = await app.db.prisma.member.findFirstOrThrow({ where: { organizationId: accepted.body.data.acceptInvitation.workspace.id, user: { email: user.email } } });
    return member.id;
  };

  return {
    app,
    url,
    origin,
    logs: () => logText,
    responses,
    db,
    signUp,
    signIn,
    addMember,
    gql,
    async close() {
      await app.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
