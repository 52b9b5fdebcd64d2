import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { organization } from "better-auth/plugins";
import { createAuthMiddleware } from "better-auth/api";
import { apiKey } from "@better-auth/api-key";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { ac, roles } from "./roles.ts";

export const API_KEY_PREFIX = "sb_";

export type AuthOptions = { prisma: PrismaClient; env: Env; secret: string; logger: Logger };

function slugify(text: string): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "workspace";
  return `${base}-${randomBytes(4).toString("hex")}`;
}

/** The same answer without session tokens (the same object when it holds none). */
export function withoutSessionTokens(value: unknown): unknown {
  if (!value || typeof value !== "object" || value instanceof Response) return value;
  if (Array.isArray(value)) {
    const items = value.map(withoutSessionTokens);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  const record = value as Record<string, unknown>;
  let changed = false;
  const out: Record<string, unknown> = { ...record };
  if (typeof record.token === "string") {
    out.token = null;
    changed = true;
  }
  if (record.session && typeof record.session === "object") {
    const session = withoutSessionTokens(record.session);
    if (session !== record.session) {
      out.session = session;
      changed = true;
    }
  }
  return changed ? out : value;
}

export function createAuth({ prisma, env, secret, logger }: AuthOptions) {
  const secure = env.PUBLIC_URL.startsWith("https://");
  return betterAuth({
    appName: "Switchboard",
    baseURL: env.PUBLIC_URL,
    basePath: "/api/auth",
    secret,
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    trustedOrigins: env.trustedOrigins,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 256, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Slows password guessing from one address; per process, in memory.
    rateLimit: {
      enabled: env.NODE_ENV !== "test",
      window: 60,
      max: 200,
      customRules: {
        "/sign-in/email": { window: 60, max: 10 },
        "/sign-up/email": { window: 60, max: 30 },
      },
    },
    advanced: {
      useSecureCookies: secure,
      cookiePrefix: "switchboard",
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure },
    },
    // better-auth puts session tokens in JSON bodies as well as in the httpOnly cookie: sign-up
    // and sign-in (`token`), get-session (`session.token`), list-sessions (each `token`). The
    // browser has no use for them, and a script must never see one.
    hooks: {
      after: createAuthMiddleware(async (ctx) => {
        const returned = ctx.context.returned as unknown;
        const stripped = withoutSessionTokens(returned);
        if (stripped !== returned) return ctx.json(stripped as Record<string, unknown>);
      }),
    },
    logger: {
      log: (level, message) => {
        // better-auth passes extra args (errors, sometimes request data); only the message is logged.
        const fn = level === "error" ? logger.error : level === "warn" ? logger.warn : logger.debug;
        fn.call(logger, { component: "auth" }, message);
      },
    },
    databaseHooks: {
      user: {
        create: {
          // Everyone starts with a personal workspace they own.
          after: async (user) => {
            const workspaceId = crypto.randomUUID();
            await prisma.organization.create({
              data: {
                id: workspaceId,
                name: `${user.name || user.email.split("@")[0]}'s workspace`,
                slug: slugify(user.name || user.email.split("@")[0] || "workspace"),
                createdAt: new Date(),
                members: { create: { id: crypto.randomUUID(), userId: user.id, role: "owner", createdAt: new Date() } },
              },
            });
          },
        },
      },
      session: {
        create: {
          // A new session acts in the user's oldest workspace until they switch.
          before: async (session) => {
            const membership = await prisma.member.findFirst({
              where: { userId: session.userId },
              orderBy: { createdAt: "asc" },
              select: { organizationId: true },
            });
            return { data: { ...session, activeOrganizationId: membership?.organizationId ?? null } };
          },
        },
      },
    },
    plugins: [
      organization({ ac, roles, creatorRole: "owner", allowUserToCreateOrganization: true }),
      apiKey({
        references: "organization",
        defaultPrefix: API_KEY_PREFIX,
        enableMetadata: true,
        startingCharactersConfig: { shouldStore: true, charactersLength: 10 },
        // Per-key counters would cost a database write per request; request limits belong to
        // the proxy in front of the app.
        rateLimit: { enabled: false },
      }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
