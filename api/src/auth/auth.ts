import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { organization } from "better-auth/plugins";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { apiKey } from "@better-auth/api-key";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { publishAccessChange, type Realtime } from "../realtime/pubsub.ts";
import { findInvitationByToken } from "../domain/members/find-invitation.ts";
import { ac, roles } from "./roles.ts";
import { CLIENT_ADDRESS_HEADER, throttleSubject } from "./client-address.ts";
import { createThrottle, tooManyAttemptsMessage, type Blocked, type Throttle } from "./throttle.ts";
import { checkPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-policy.ts";
import { mailerFor } from "./mailer.ts";

export const API_KEY_PREFIX = "sb_";

export type AuthOptions = {
  prisma: PrismaClient;
  env: Env;
  secret: string;
  logger: Logger;
  /** Where ended sessions are announced to open sockets (the CLI has none). */
  realtime?: Realtime;
};

/** What we add to better-auth's object: the attempt counters its hooks and the viewer share. */
export type AuthExtras = { throttle: Throttle };

function tooManyAttempts(blocked: Blocked): APIError {
  return new APIError("TOO_MANY_REQUESTS", { code: "TOO_MANY_ATTEMPTS", message: tooManyAttemptsMessage(blocked) }, { "Retry-After": String(blocked.retryAfter) });
}

/** The throttle subject of an HTTP call's client (app.ts set the header); null for in-process calls. */
function addressOf(ctx: { headers?: Headers; request?: Request }): string | null {
  const address = ctx.request ? ctx.headers?.get(CLIENT_ADDRESS_HEADER) : null;
  return address ? throttleSubject(address) : null;
}

function field(body: unknown, name: string): string {
  const value = body && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" ? value : "";
}

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

export function createAuth({ prisma, env, secret, logger, realtime }: AuthOptions) {
  const secure = env.PUBLIC_URL.startsWith("https://");
  const throttle = createThrottle({ prisma });
  const mailer = mailerFor(env, logger);

  /**
   * SIGNUP: open lets anyone in; invite lets in the first account of an empty instance, then
   * only someone holding a pending invitation for the address they sign up with; off, nobody
   * (accounts come from `pnpm admin create-user`). Only HTTP sign-ups are asked.
   */
  async function assertSignupAllowed(email: string, invitationToken: string): Promise<void> {
    if (env.signup === "open") return;
    if (env.signup === "off") {
      throw new APIError("FORBIDDEN", { code: "SIGNUP_DISABLED", message: "Sign-up is turned off on this server. Ask an administrator for an account." });
    }
    // The first account of an empty instance. Two sign-ups racing at that very moment could both
    // pass; the operator who just started the instance is the only one who knows it is empty.
    if (!(await prisma.user.findFirst({ select: { id: true } }))) return;
    const invitation = invitationToken ? await findInvitationByToken({ prisma, token: invitationToken }) : null;
    if (!invitation) {
      throw new APIError("FORBIDDEN", { code: "SIGNUP_BY_INVITATION", message: "Sign-up on this server is by invitation only. Open the invitation link you received." });
    }
    if (invitation.email !== email) {
      throw new APIError("FORBIDDEN", { code: "INVITATION_FOR_ANOTHER_EMAIL", message: "This invitation is for another email address. Sign up with the address it was sent to." });
    }
  }

  const instance = betterAuth({
    appName: "Switchboard",
    baseURL: env.PUBLIC_URL,
    basePath: "/api/auth",
    secret,
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    trustedOrigins: env.trustedOrigins,
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      // Sign-up never starts a session, so its answer is the same whether or not the address
      // already has an account: 200 with `{ token: null, user }` (for a taken address better-auth
      // hashes the password anyway, creates nothing and answers a made-up user). The web signs
      // in right after signing up.
      autoSignIn: false,
      onExistingUserSignUp: async ({ user }) => {
        // Not awaited: the answer must not take longer for a registered address.
        void mailer?.send({
          to: user.email,
          subject: "Someone tried to create a Switchboard account with your address",
          text: `Someone tried to create an account on ${env.PUBLIC_URL} with this email address, which already has one.\n\nIf it was you, sign in at ${env.PUBLIC_URL}/login. Otherwise you can ignore this message; nothing was changed.`,
        });
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // better-auth's own limiter keys on whatever X-Forwarded-For a client sends and counts per
    // process. Ours (throttle.ts) counts per account and per address in Postgres, with the
    // address app.ts decided from the socket and TRUSTED_PROXIES.
    rateLimit: { enabled: false },
    advanced: {
      useSecureCookies: secure,
      cookiePrefix: "switchboard",
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure },
      // Sessions record the address app.ts decided (never a client's X-Forwarded-For).
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-in/email" && ctx.request) {
          // Counted before the password is checked, and given back unless it was wrong, so a
          // burst of parallel guesses cannot pass the limit.
          const address = addressOf(ctx);
          const email = field(ctx.body, "email").trim().toLowerCase();
          const byAddress = address ? await throttle.take("sign-in:address", address) : null;
          if (byAddress) throw tooManyAttempts(byAddress);
          const byAccount = email ? await throttle.take("sign-in:account", email) : null;
          if (byAccount) {
            // No password was checked: the address is not charged for it.
            if (address) await throttle.refund("sign-in:address", address);
            throw tooManyAttempts(byAccount);
          }
        }
        if (ctx.path === "/sign-up/email") {
          const email = field(ctx.body, "email").trim().toLowerCase();
          if (ctx.request) {
            const address = addressOf(ctx);
            const blocked = address ? await throttle.take("sign-up:address", address) : null;
            if (blocked) throw tooManyAttempts(blocked);
            await assertSignupAllowed(email, field(ctx.body, "invitationToken"));
          }
          const verdict = checkPassword(field(ctx.body, "password"), [email, field(ctx.body, "name")]);
          if (!verdict.ok) throw new APIError("BAD_REQUEST", { code: verdict.code, message: verdict.message });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const returned = ctx.context.returned as unknown;
        if (ctx.path === "/sign-in/email" && ctx.request) {
          const wrongPassword = isAPIError(returned) && returned.statusCode === 401;
          if (!wrongPassword) {
            const address = addressOf(ctx);
            const email = field(ctx.body, "email").trim().toLowerCase();
            const succeeded = !isAPIError(returned);
            if (email) await throttle.refund("sign-in:account", email, { clear: succeeded });
            if (address) await throttle.refund("sign-in:address", address);
          }
        }
        // better-auth puts session tokens in JSON bodies as well as in the httpOnly cookie:
        // sign-in (`token`) and get-session (`session.token`). The browser has no use for them,
        // and a script must never see one.
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
        delete: {
          // Signed out (or expired, or deleted): its open sockets and streams must close.
          after: async (session) => {
            if (realtime) publishAccessChange(realtime, { kind: "session", sessionId: session.id, userId: session.userId });
          },
        },
      },
    },
    // Only a few of these plugins' routes are reachable (app.ts mounts an allowlist): the
    // organization plugin answers the workspace switcher (list, set-active); workspace
    // administration and API keys go through GraphQL and the domain.
    plugins: [
      organization({ ac, roles, creatorRole: "owner", allowUserToCreateOrganization: false }),
      apiKey({
        references: "organization",
        defaultPrefix: API_KEY_PREFIX,
        // A key's creator and role live in columns the server writes (api-keys.ts).
        enableMetadata: false,
        startingCharactersConfig: { shouldStore: true, charactersLength: 10 },
        // Per-key counters would cost a database write per request; request limits belong to
        // the proxy in front of the app.
        rateLimit: { enabled: false },
      }),
    ],
  });
  const extras: AuthExtras = { throttle };
  return Object.assign(instance, { switchboard: extras });
}

export type Auth = ReturnType<typeof createAuth>;
