import type { IncomingMessage } from "node:http";
import { resolve } from "node:path";
import type { Env } from "../env.ts";
import type { Auth } from "../auth/auth.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { resolveViewer } from "../auth/viewer.ts";
import { can } from "../auth/roles.ts";
import { DATA_FILES } from "../data-dir.ts";
import type { ControlAccess, SandboxOptions } from "../sandbox/index.ts";

// What the app tells its sandbox: who may use the controls, which origins are trusted, and
// where the emulators keep their state. The sandbox knows nothing of sessions or roles.

/**
 * The controls (faults, options, reset) change what every sandbox connection of the server
 * sees, so they need a signed-in owner or admin: the same people who may connect and disconnect.
 * The page and its form take only a browser session; the JSON endpoint also an API key, which
 * acts with at most its creator's current role (resolveViewer).
 */
export function authorizeSandboxControl({ auth, prisma }: { auth: Auth; prisma: PrismaClient }) {
  return async (req: IncomingMessage, { apiKey }: { apiKey: boolean }): Promise<ControlAccess> => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    if (!apiKey) headers.delete("authorization");
    let viewer;
    try {
      viewer = await resolveViewer({ auth, prisma, headers });
    } catch (error) {
      // A valid key without the read permission (a proxy- or credentials-only key) may not drive
      // the sandbox either: refused as forbidden, not a server error.
      if ((error as { extensions?: { http?: { status?: number } } }).extensions?.http?.status === 403) return "forbidden";
      throw error;
    }
    if (!viewer) return "anonymous";
    return can(viewer.role, { integration: ["connect", "disconnect"] }) ? "ok" : "forbidden";
  };
}

/** createSandbox's options that come from the app: access, trusted origins, the state file. */
export function sandboxAppOptions({ env, auth, prisma }: { env: Env; auth: Auth; prisma: PrismaClient }): Pick<SandboxOptions, "authorizeControl" | "trustedOrigins" | "stateFile"> {
  return {
    authorizeControl: authorizeSandboxControl({ auth, prisma }),
    trustedOrigins: env.trustedOrigins,
    // A restart keeps the emulators' grants, so sandbox connections stay green across it.
    stateFile: env.DATA_DIR.startsWith("memory://") ? undefined : resolve(env.DATA_DIR, DATA_FILES.sandboxState),
  };
}
