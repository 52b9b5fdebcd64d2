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
    // better-auth answers sign-up and sign-in with the session token in the JSON body as well as
    // in the httpOnly cookie; the browser has no use for it, and a script must never see it.
    hooks: {
      after: createAuthMiddleware(async (ctx) => {
        const returned = ctx.context.returned as unknown;
        if (returned && typeof returned === "object" && !(returned instanceof Response) && "token" in returned) {
          return ctx.json({ ...(returned as Record<string, unknown>), token: null });
        }
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
