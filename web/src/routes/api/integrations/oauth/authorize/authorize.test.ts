// @vitest-environment node
import { beforeEach, describe, expect, it, vi } from "vitest";

// The authorize route against a stand-in API: what it sends to connectIntegration and where it
// sends the browser.

const postGraphQL = vi.fn();
vi.mock("$lib/server/api", () => ({ postGraphQL: (...args: unknown[]) => postGraphQL(...args) }));

const { GET } = await import("./+server");

type Event = Parameters<typeof GET>[0];
function get(query: string): Promise<Response> {
  const url = new URL(`http://localhost:3000/api/integrations/oauth/authorize?${query}`);
  return GET({ url, request: new Request(url, { headers: { cookie: "session=1" } }) } as unknown as Event) as Promise<Response>;
}

const AUTHORIZATION_URL = "https://login.salesforce.com/services/oauth2/authorize?state=s";

beforeEach(() => {
  postGraphQL.mockReset();
  postGraphQL.mockResolvedValue({ status: 200, body: { data: { connectIntegration: { authorizationUrl: AUTHORIZATION_URL } } }, setCookies: ["switchboard_oauth=b; Path=/api/integrations/oauth"] });
});

describe("GET /api/integrations/oauth/authorize", () => {
  it("passes org from the query to connectIntegration", async () => {
    const response = await get("provider=salesforce&org=https%3A%2F%2Facme.my.salesforce.com");
    expect(postGraphQL).toHaveBeenCalledWith(
      expect.objectContaining({ variables: { provider: "salesforce", returnTo: null, org: "https://acme.my.salesforce.com" }, cookie: "session=1" }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(AUTHORIZATION_URL);
    expect(response.headers.getSetCookie()).toEqual(["switchboard_oauth=b; Path=/api/integrations/oauth"]);
  });

  it("sends no org when there is none", async () => {
    await get("provider=slack");
    expect(postGraphQL.mock.calls[0]![0].variables).toEqual({ provider: "slack", returnTo: null, org: null });
  });

  it("refuses an org over 200 characters without asking the API", async () => {
    const response = await get(`provider=salesforce&org=${"a".repeat(201)}`);
    expect(postGraphQL).not.toHaveBeenCalled();
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/dashboard/integrations?error=invalid_org&provider=salesforce");
  });

  it("an org the API refuses comes back as ?error=invalid_org", async () => {
    postGraphQL.mockResolvedValue({
      status: 200,
      body: { data: null, errors: [{ message: "Not a Salesforce org", extensions: { code: "BAD_USER_INPUT", reason: "invalid_org" } }] },
      setCookies: [],
    });
    const response = await get("provider=salesforce&org=acme.lightning.force.com");
    expect(response.headers.get("location")).toBe("/dashboard/integrations?error=invalid_org&provider=salesforce");
  });
});
