import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, endpointOf } from "./http.ts";
import { OAuthFlowError } from "./errors.ts";

// A failed provider call names its HTTP status and endpoint (method + path, never the query
// string, which may carry a query or a token) and keeps the provider's own words.

describe("provider call errors", () => {
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/services/data/v62.0/query")) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify([{ errorCode: "UNKNOWN_EXCEPTION", message: "An unexpected error occurred" }]));
    } else res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_token", error_description: "expired" }));
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("records status, endpoint without the query string, and the provider's text", async () => {
    const error = await call(`${base}/services/data/v62.0/query?q=SELECT+Id+FROM+Organization&access_token=secret`, { headers: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthFlowError);
    expect(error).toMatchObject({ code: "provider_error", httpStatus: 500, endpoint: "GET /services/data/v62.0/query", providerMessage: "UNKNOWN_EXCEPTION: An unexpected error occurred" });
    expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/secret|SELECT/);
  });

  it("keeps the method, and a classifier's error gets the same details", async () => {
    const error = await call(`${base}/oauth2/userinfo`, { method: "POST" }, (a) => (a.status === 401 ? new OAuthFlowError("token_revoked", "custom") : undefined)).catch((e) => e);
    expect(error).toMatchObject({ code: "token_revoked", httpStatus: 401, endpoint: "POST /oauth2/userinfo", providerMessage: "custom" });
  });

  it("endpointOf never fails on a bad URL", () => {
    expect(endpointOf("not a url")).toBeUndefined();
    expect(endpointOf("https://slack.com/api/auth.test?token=x", "post")).toBe("POST /api/auth.test");
  });
});
