import { randomBytes } from "node:crypto";
import type { SealedFor } from "../vault/vault.ts";

/** Standard Webhooks secret: `whsec_` and base64 of 32 random bytes (the spec asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** Where an endpoint's signing secret is sealed; vault/rotate.ts re-seals at the same place. */
export function secretSealedFor(endpointId: string): SealedFor {
  return { table: "webhook_endpoint", rowId: endpointId, field: "secret" };
}
