import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "../auth/viewer.ts";
import type { Auth } from "../auth/auth.ts";
import type { CatalogProvider } from "../providers/catalog.ts";
import type { Realtime } from "../realtime/pubsub.ts";
import type { Logger } from "../logger.ts";

export type Services = {
  prisma: PrismaClient;
  auth: Auth;
  catalog: CatalogProvider[];
  realtime: Realtime;
  logger: Logger;
};

export type Context = Services & { viewer: Viewer };
