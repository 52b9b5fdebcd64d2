import { describe, expect, it } from "vitest";
import { BACKOFF_SCHEDULE_MS, backoffDelayMs, parseRetryAfter } from "./backoff.ts";
import { outcomeOf } from "./deliver-one.ts";

describe("webhook retry schedule", () => {
  it("grows from 5 s and stays within ±10%", () => {
    expect(backoffDelayMs(1, () => 0.5)).toBe(5000);
    expect(backoffDelayMs(1, () => 0)).toBe(4500);
    expect(backoffDelayMs(1, () => 1)).toBe(5500);
    expect(backoffDelayMs(3, () => 0.5)).toBe(120_000);
    expect(backoffDelayMs(99, () => 0.5)).toBe(BACKOFF_SCHEDULE_MS.at(-1));
  });

  it("reads Retry-After as seconds or a date, and caps it", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:10:00 GMT", now)).toBe(600_000);
    expect(parseRetryAfter("999999999", now)).toBe(24 * 3_600_000);
    expect(parseRetryAfter("soon", now)).toBeNull();
  });

  it("retries until WEBHOOK_MAX_ATTEMPTS, honouring a longer Retry-After", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const failure = { ok: false, responseStatus: 503, error: "HTTP 503", retryAfterMs: null };
    expect(outcomeOf(failure, 1, { WEBHOOK_MAX_ATTEMPTS: 3 }, now, () => 0.5)).toEqual({ status: "pending", responseStatus: 503, lastError: "HTTP 503", nextAttemptAt: new Date(now.getTime() + 5000) });
    expect(outcomeOf({ ...failure, retryAfterMs: 60_000 }, 1, { WEBHOOK_MAX_ATTEMPTS: 3 }, now, () => 0.5).nextAttemptAt).toEqual(new Date(now.getTime() + 60_000));
    expect(outcomeOf(failure, 3, { WEBHOOK_MAX_ATTEMPTS: 3 }, now)).toMatchObject({ status: "failed", nextAttemptAt: null });
    // A failure the receiver documents as final fails on the first attempt, with its reason.
    expect(outcomeOf({ ...failure, responseStatus: 404, error: "channel_not_found", permanent: true }, 1, { WEBHOOK_MAX_ATTEMPTS: 3 }, now)).toEqual({ status: "failed", responseStatus: 404, lastError: "channel_not_found", nextAttemptAt: null });
    expect(outcomeOf({ ok: true, responseStatus: 204, error: null, retryAfterMs: null }, 2, { WEBHOOK_MAX_ATTEMPTS: 3 }, now)).toMatchObject({ status: "delivered" });
  });
});
