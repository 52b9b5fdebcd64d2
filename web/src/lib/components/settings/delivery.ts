// Words for a delivery's state, shared by webhook and alert delivery logs (both: pending |
// delivered | failed, retried with backoff).

export type DeliveryRow = {
  id: string;
  createdAt: string;
  /** What was sent, as the log shows it (webhook.test, "Test"). */
  event: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  durationMs?: number | null;
};

/** "HTTP" for webhooks and Slack; "SMTP" for an e-mail's reply code. */
export type CodeKind = "HTTP" | "SMTP";

export function deliveryText(delivery: Pick<DeliveryRow, "status" | "attempts" | "responseStatus">, code: CodeKind = "HTTP"): string {
  if (delivery.status === "delivered") return `Delivered${delivery.responseStatus ? ` (${code} ${delivery.responseStatus})` : ""}`;
  if (delivery.status === "failed") return "Failed";
  return delivery.attempts > 0 ? "Retrying" : "Pending";
}

/** For the middle of a sentence: "Test alert delivered (HTTP 200)". */
export function deliverySentence(delivery: Pick<DeliveryRow, "status" | "attempts" | "responseStatus">, code: CodeKind = "HTTP"): string {
  const text = deliveryText(delivery, code);
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const TONES: Record<string, string> = { delivered: "ok", failed: "bad", pending: "warn" };

export function deliveryTone(status: string): string {
  return TONES[status] ?? "neutral";
}
