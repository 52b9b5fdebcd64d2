import { describe, expect, it } from "vitest";
import { exampleRequest, permissionsText, PERMISSION_LABELS, PERMISSIONS_IN_ORDER } from "./api-key-permissions";

describe("API key permissions", () => {
  it("has words for every permission, in a fixed order", () => {
    expect(PERMISSIONS_IN_ORDER.map((p) => PERMISSION_LABELS[p].label)).toEqual(["Read", "Proxy", "Credentials"]);
    expect(permissionsText(["CREDENTIALS", "READ"])).toBe("Read, Credentials");
    expect(permissionsText(["PROXY"])).toBe("Proxy");
  });

  it("offers a request the key may make: GraphQL when it reads, else the proxy, else a token read", () => {
    const origin = "http://localhost:3000";
    const key = "sb_abc";
    const read = exampleRequest({ key, origin, permissions: ["READ", "PROXY"] });
    expect(read).toMatch(/^curl -s http:\/\/localhost:3000\/graphql -H 'authorization: Bearer sb_abc' .* -d '\{"query":/);
    expect(exampleRequest({ key, origin, permissions: ["PROXY", "CREDENTIALS"] })).toBe("curl -s -H 'authorization: Bearer sb_abc' http://localhost:3000/proxy/<connection id>/...");
    expect(exampleRequest({ key, origin, permissions: ["CREDENTIALS"] })).toBe(
      "curl -s -X POST -H 'authorization: Bearer sb_abc' http://localhost:3000/api/connections/<connection id>/token",
    );
  });
});
