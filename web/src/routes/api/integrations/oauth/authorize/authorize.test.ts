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
      expect.objectContaining({ variables: { provider: "salesforce", returnTo: null, org: "https://acme.my.salesforce.com", integrationId: null }, cookie: "session=1" }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(AUTHORIZATION_URL);
    expect(response.headers.getSetCookie()).toEqual(["switchboard_oauth=b; Path=/api/integrations/oauth"]);
  });

  it("sends no org when there is none", async () => {
    await get("provider=slack");
    expect(postGraphQL.mock.calls[0]![0].variables).toEqual({ provider: "slack", returnTo: null, org: null, integrationId: null });
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

  it("passes integration (a reconnect of that connection) as connectIntegration's integrationId", async () => {
    const id = "0197a5b2-7c3e-7d41-9a55-3f2b1c0d9e8f";
    const response = await get(`provider=slack&integration=${id}`);
    expect(postGraphQL.mock.calls[0]![0].variables).toEqual({ provider: "slack", returnTo: null, org: null, integrationId: id });
    expect(response.headers.get("location")).toBe(AUTHORIZATION_URL);
  });

  it("refuses an integration id that cannot be one without asking the API", async () => {
    for (const bad of ["a".repeat(65), "..%2F..", "id%20with%20spaces"]) {
      postGraphQL.mockClear();
      const response = await get(`provider=slack&integration=${bad}`);
      expect(postGraphQL).not.toHaveBeenCalled();
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/dashboard/integrations?error=unknown_connection&provider=slack");
    }
  });

  it("a connection the API does not know comes back as ?error=unknown_connection", async () => {
    postGraphQL.mockResolvedValue({
      status: 200,
      body: { data: null, errors: [{ message: "No Slack connection with that id in this workspace.", extensions: { code: "NOT_FOUND", reason: "unknown_connection" } }] },
      setCookies: [],
    });
    const response = await get("provider=slack&integration=0197a5b2-7c3e-7d41-9a55-3f2b1c0d9e8f");
    expect(response.headers.get("location")).toBe("/dashboard/integrations?error=unknown_connection&provider=slack");
  });
});
