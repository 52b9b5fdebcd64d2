import { z } from "zod";
import { SANDBOX_PROVIDERS } from "./catalog.ts";
import { FAULT_MODES } from "./types.ts";

// The control surface's input: the same zod schemas back the JSON endpoint, the HTML form and
// the programmatic setFault/setOptions, so every path refuses the same bad input.

export const faultSchema = z.strictObject({
  mode: z.enum(FAULT_MODES),
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
});

export const providerOptionsSchema = z.strictObject({
  rotateRefreshTokens: z.boolean().optional(),
  accessTokenLifetimeSeconds: z.number().int().min(1).max(31_536_000).optional(),
  issParameter: z.boolean().optional(),
  v1Retired: z.boolean().optional(),
});

const resetSchema = z.strictObject({ reset: z.literal(true) });

const changeSchema = z
  .strictObject({
    provider: z.enum(SANDBOX_PROVIDERS),
    fault: faultSchema.optional(),
    options: providerOptionsSchema.optional(),
  })
  .refine((v) => v.fault !== undefined || v.options !== undefined, { message: "give `fault`, `options` or both" })
  .refine((v) => !(v.provider === "google" && v.options?.rotateRefreshTokens), {
    message: "Google refresh tokens do not rotate (google.md §4), so rotateRefreshTokens is not offered for google",
    path: ["options", "rotateRefreshTokens"],
  })
  // Refused rather than ignored, so a test that sets them on the wrong provider fails loudly.
  .refine((v) => v.provider === "google" || v.options?.issParameter === undefined, {
    message: "issParameter is a Google option (RFC 9207 iss on its authorization redirect, google.md §2)",
    path: ["options", "issParameter"],
  })
  .refine((v) => v.provider === "hubspot" || v.options?.v1Retired === undefined, {
    message: "v1Retired is a HubSpot option (its OAuth v1 API sunset, hubspot.md)",
    path: ["options", "v1Retired"],
  });

export type ControlRequest = z.infer<typeof resetSchema> | z.infer<typeof changeSchema>;

/** Validates a control request; the error message names the offending field. */
export function parseControlRequest(value: unknown): { ok: true; request: ControlRequest } | { ok: false; message: string } {
  // Choosing the schema by shape gives clearer messages than a union ("Invalid input").
  const schema = typeof value === "object" && value !== null && "reset" in value ? resetSchema : changeSchema;
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, message: z.prettifyError(parsed.error) };
}

/** The HTML form's flat fields as the JSON control request they stand for. */
export function formToControlRequest(form: URLSearchParams): unknown {
  if (form.get("reset") === "true") return { reset: true };
  const number = (name: string) => {
    const raw = form.get(name);
    return raw === null || raw.trim() === "" ? undefined : Number(raw);
  };
  const mode = form.get("mode") ?? undefined;
  // Each switch is its own small form on the page posting "on" or "off"; absent means unchanged.
  const switches: Record<string, boolean> = {};
  for (const name of ["rotateRefreshTokens", "issParameter", "v1Retired"] as const) {
    const value = form.get(name);
    if (value !== null) switches[name] = value === "on";
  }
  return {
    provider: form.get("provider") ?? undefined,
    ...(mode !== undefined
      ? {
          fault: {
            mode,
            // Only the field that goes with the chosen mode is kept, so the state stays readable.
            ...(mode === "rate_limited" ? { retryAfterSeconds: number("retryAfterSeconds") } : {}),
            ...(mode === "slow" ? { delayMs: number("delayMs") } : {}),
          },
        }
      : {}),
    ...(Object.keys(switches).length > 0 ? { options: switches } : {}),
  };
}
