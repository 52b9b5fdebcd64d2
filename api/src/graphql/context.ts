import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "../auth/viewer.ts";
import type { Auth } from "../auth/auth.ts";
import type { CatalogProvider } from "../providers/catalog.ts";
import type { Realtime } from "../realtime/pubsub.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../db/index.ts";
import type { Vault } from "../domain/vault/vault.ts";
import type { Env } from "../env.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Loaders } from "../domain/health/uptime.ts";

export type Services = {
  env: Env;
  db: Database;
  prisma: PrismaClient;
  auth: Auth;
  vault: Vault;
  catalog: CatalogProvider[];
  realtime: Realtime;
  logger: Logger;
  /** Whether provider URLs may be plain http (development, sandbox, local test servers). */
  allowHttp: boolean;
  metrics: Metrics;
};

/** Cookies of the HTTP request, and Set-Cookie values to add to its response. */
export type CookieAccess = {
  get(name: string): string | undefined;
  set(header: string): void;
};

export type Context = Services & {
  viewer: Viewer;
  cookies: CookieAccess;
  loaders: Loaders;
  /** Set on a graphql-ws subscription executed once for many subscribers: the transport counts each of them. */
  sharedSubscription?: boolean;
};
