import "@testing-library/jest-dom/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import IntegrationCard from "./IntegrationCard.svelte";
import type { HealthStatus, Integration, IntegrationStatus, Provider, RecentCheck, Role, TestResult } from "$lib/graphql/types";

// IntegrationCard on its own: a provider's card with its connections (each a ConnectionCard: in
// the provider's article when it is the only one, an article of its own among several), every
// status, health state, role and loading state, with a fake urql client whose mutations resolve
// when the test says so.

const NOW = Date.parse("2026-03-04T10:00:00Z");

function provider(overrides: Partial<Provider> = {}): Provider {
  return {
    id: "slack",
    name: "Slack",
    description: "Messages and channels of a Slack workspace",
    configured: true,
    sandbox: false,
    redirectUri: "http://localhost:3000/api/integrations/oauth/callback/slack",
    scopes: ["chat:write", "channels:read"],
    type: "slack",
    orgChoice: false,
    ...overrides,
  };
}

/** `count` checks a minute apart, newest first, healthy unless `status` says otherwise. */
function checks(count: number, status: (index: number) => HealthStatus = () => "HEALTHY"): RecentCheck[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `check-${index}`,
    status: status(index),
    checkedAt: new Date(NOW - (index + 3) * 60_000).toISOString(),
    latencyMs: 100 + index,
    errorCode: status(index) === "HEALTHY" ? null : "PROVIDER_ERROR",
  }));
}

function integration(overrides: Partial<Integration> = {}): Integration {
  const status = overrides.status ?? "CONNECTED";
  const health = overrides.healthStatus ?? "HEALTHY";
  return {
    id: "int-1",
    providerId: "slack",
    label: "Acme Sandbox",
    status: "CONNECTED",
    healthStatus: "HEALTHY",
    // What the API would say for the status and health, unless a test says otherwise.
    state: status === "REAUTH_REQUIRED" ? "REAUTH_REQUIRED" : status === "DISCONNECTED" ? "NOT_CONNECTED" : health === "UNHEALTHY" || status === "ERROR" ? "UNHEALTHY" : "HEALTHY",
    consecutiveFailures: 0,
    unhealthyAfter: 3,
    healthMessage: null,
    lastHealthCheckAt: new Date(NOW - 3 * 60_000).toISOString(),
    nextHealthCheckAt: new Date(NOW + 2 * 60_000).toISOString(),
    uptime: { last24h: 1 },
    account: { id: "T1", name: "Acme Sandbox", url: "https://acme.slack.com" },
    grantedScopes: ["chat:write", "channels:read"],
    missingScopes: [],
    suggestedAction: null,
    lastError: null,
    recentChecks: checks(3),
    provider: { id: "slack", statusPageUrl: "https://slack-status.com/" },
    org: null,
    ...overrides,
  };
}

type Deferred<T> = { promise: Promise<T>; resolve: (value: T) => void };
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A stand-in for urql's Client: only `mutation(...).toPromise()` is used by the card. */
function fakeClient() {
  const pending: Deferred<unknown>[] = [];
  const mutation = vi.fn(() => {
    const next = deferred<unknown>();
    pending.push(next);
    return { toPromise: () => next.promise };
  });
  return { client: { mutation }, mutation, pending };
}

// What Viewer.permissions answers for each role (tests/integration/viewer-permissions.test.ts
// checks the API's side); the card sees only these two booleans.
const PERMISSIONS: Record<Role, { testIntegrations: boolean; connectIntegrations: boolean }> = {
  OWNER: { testIntegrations: true, connectIntegrations: true },
  ADMIN: { testIntegrations: true, connectIntegrations: true },
  MEMBER: { testIntegrations: true, connectIntegrations: false },
  VIEWER: { testIntegrations: false, connectIntegrations: false },
};

type CardProps = {
  provider?: Provider;
  /** One connection, as most tests need; `connections` for several. */
  integration?: Integration;
  connections?: Integration[];
  connected?: number;
  needsAttention?: number;
  note?: string | null;
  role?: Role;
  now?: number;
  checking?: boolean;
};

function renderCard(props: CardProps = {}) {
  const fake = fakeClient();
  const connections = props.connections ?? (props.integration ? [props.integration] : []);
  const result = render(IntegrationCard, {
    props: {
      provider: props.provider ?? provider(),
      connections,
      connected: props.connected,
      needsAttention: props.needsAttention,
      note: props.note,
      permissions: PERMISSIONS[props.role ?? "OWNER"],
      now: props.now ?? NOW,
      checking: props.checking ? new Set(connections.map((c) => c.id)) : undefined,
    },
    context: new Map([["$$_urql", fake.client]]),
  });
  const card = screen.getByRole("article", { name: (props.provider ?? provider()).name });
  return { ...result, ...fake, card };
}

afterEach(() => vi.useRealTimers());

describe("status", () => {
  const cases: [IntegrationStatus, string, string | null][] = [
    ["CONNECTED", "Connected", null],
    ["REAUTH_REQUIRED", "Reconnect required", "Reconnect"],
    ["ERROR", "Error", "Reconnect"],
    ["DISCONNECTED", "Not connected", "Connect"],
  ];
  for (const [status, label, link] of cases) {
    it(`${status}: shows "${label}" and ${link ? `a "${link}" link` : "no connect link"}`, () => {
      const { card } = renderCard({ integration: status === "DISCONNECTED" ? undefined : integration({ status }) });
      expect(within(card).getByText(label, { exact: true })).toBeInTheDocument();
      const connect = within(card).queryByRole("link", { name: /^(Connect|Reconnect)$/ });
      if (link) expect(connect).toHaveTextContent(link);
      else expect(connect).toBeNull();
    });
  }

  it("a card without a connection is compact: logo, name, description, Connect, and no empty health rows", () => {
    const { card } = renderCard();
    expect(card).toHaveClass("card-compact");
    expect(card.querySelector("svg")).not.toBeNull();
    expect(within(card).getByRole("heading", { name: "Slack" })).toBeInTheDocument();
    expect(within(card).getByText("Messages and channels of a Slack workspace")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack");
    expect(within(card).getByText("Not connected", { exact: true })).toBeInTheDocument();
    // Nothing that only a connection has: no check to test, nothing to disconnect, no health.
    expect(within(card).queryByRole("button", { name: "Test connection" })).toBeNull();
    expect(within(card).queryByRole("button", { name: "Disconnect" })).toBeNull();
    expect(within(card).queryByText("Unknown", { exact: true })).toBeNull();
    expect(within(card).queryByText(/Last checked/)).toBeNull();
    expect(within(card).queryByText(/scopes granted/)).toBeNull();
    expect(within(card).queryByRole("list")).toBeNull();
    expect(within(card).queryByText(/Next step/)).toBeNull();
    expect(within(card).queryByRole("link", { name: /History and uptime/ })).toBeNull();
  });

  it("a disconnected connection is not listed: the card is compact, Not connected, with Connect", () => {
    const { card } = renderCard({ integration: integration({ status: "DISCONNECTED", healthStatus: "UNKNOWN", state: "NOT_CONNECTED", missingScopes: ["chat:write"] }) });
    expect(card).toHaveClass("card-compact");
    expect(within(card).queryByRole("article")).toBeNull();
    expect(within(card).getByText("Not connected", { exact: true })).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Connect" })).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Test connection" })).toBeNull();
    expect(within(card).queryByText(/Missing/)).toBeNull();
    expect(within(card).queryByRole("link", { name: /History and uptime/ })).toBeNull();
  });

  it("a connected card is not compact and carries every control of the UI contract", () => {
    const { card } = renderCard({ integration: integration() });
    expect(card).not.toHaveClass("card-compact");
    // The provider's only connection is no article of its own: its controls are the card's, as
    // before issue 14, and the only article whose name holds the provider's is the card.
    expect(within(card).queryByRole("article")).toBeNull();
    expect(within(card).queryByRole("heading", { level: 3, name: "Acme Sandbox" })).toBeNull();
    expect(screen.getAllByRole("article", { name: "Slack" })).toEqual([card]);
    expect(within(card).getByText("1 connection", { exact: true })).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Add another" })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack");
    expect(within(card).queryByRole("link", { name: "Connect" })).toBeNull();
    expect(within(card).getByRole("button", { name: "Test connection" })).toBeEnabled();
    expect(within(card).getByRole("button", { name: "Disconnect" })).toBeEnabled();
    expect(within(card).getByText("Connected", { exact: true })).toBeInTheDocument();
    expect(within(card).getByText("Healthy", { exact: true })).toBeInTheDocument();
    expect(within(card).getByText(/Last checked/)).toHaveTextContent(/^Last checked\s+3 minutes ago$/);
  });

  it("links to the integration's history once a connection exists", () => {
    const { card } = renderCard({ integration: integration() });
    expect(within(card).getByRole("link", { name: /History and uptime/ })).toHaveAttribute("href", "/dashboard/integrations/int-1");
  });
});

describe("main state", () => {
  it('a connection failing below the threshold reads "Failing 1 of 3", and "Connected" is not green beside it', () => {
    const { card } = renderCard({ integration: integration({ state: "FAILING", consecutiveFailures: 1, healthStatus: "DEGRADED", healthMessage: "Slack answered 500" }) });
    expect(within(card).getByText("Failing 1 of 3", { exact: true })).toBeInTheDocument();
    expect(within(card).getByText("Connected", { exact: true }).closest(".status")).toHaveClass("status-muted");
    expect(within(card).getByText("Degraded", { exact: true })).toBeInTheDocument();
  });

  it("an unhealthy connection shows Unhealthy prominently and a neutral Connected", () => {
    const { card } = renderCard({ integration: integration({ healthStatus: "UNHEALTHY", consecutiveFailures: 3 }) });
    expect(within(card).getByText("Unhealthy", { exact: true })).toHaveClass("prominent");
    expect(within(card).getByText("Connected", { exact: true }).closest(".status")).not.toHaveClass("status-ok");
    expect(within(card).queryByText(/^Failing/)).toBeNull();
  });

  it("a healthy connection keeps its green Connected", () => {
    const { card } = renderCard({ integration: integration() });
    expect(within(card).getByText("Connected", { exact: true }).closest(".status")).toHaveClass("status-ok");
    expect(within(card).getByText("Healthy", { exact: true })).toHaveClass("prominent");
  });

  it('missing scopes read "Missing scopes"', () => {
    const { card } = renderCard({ integration: integration({ state: "MISSING_SCOPES", missingScopes: ["chat:write"], grantedScopes: ["channels:read"] }) });
    expect(within(card).getByText("Missing scopes", { exact: true })).toBeInTheDocument();
  });

  it('shows "Next check in …", due now once it is due, and the 24 h uptime', async () => {
    const { card, rerender } = renderCard({ integration: integration({ uptime: { last24h: 0.5 } }) });
    expect(card.querySelector(".next-check")).toHaveTextContent(/^Next check in 2 minutes\s*Check now$/);
    expect(card.querySelector(".uptime-24h")).toHaveTextContent(/^Uptime \(24 h\): 50\.00%$/);
    await rerender({ now: NOW + 2 * 60_000 + 5_000 });
    expect(card.querySelector(".next-check")).toHaveTextContent(/^Next check due now\s*Check now$/);
  });

  it('"Check now" beside the next check runs the check at once', async () => {
    const { card, mutation } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Check now" }));
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-1" });
    expect(within(card).getByRole("button", { name: "Check now" })).toBeDisabled();
  });

  it('viewers, who cannot test, get no "Check now"', () => {
    const { card } = renderCard({ integration: integration(), role: "VIEWER" });
    expect(card.querySelector(".next-check")).toHaveTextContent(/^Next check in 2 minutes$/);
    expect(within(card).queryByRole("button", { name: "Check now" })).toBeNull();
  });

  it("no next check or uptime without a connection", () => {
    const { card } = renderCard({ integration: integration({ status: "DISCONNECTED" }) });
    expect(card.querySelector(".next-check")).toBeNull();
    expect(card.querySelector(".uptime-24h")).toBeNull();
  });
});

describe("health", () => {
  const cases: [HealthStatus, string][] = [
    ["HEALTHY", "Healthy"],
    ["DEGRADED", "Degraded"],
    ["UNHEALTHY", "Unhealthy"],
    ["UNKNOWN", "Unknown"],
  ];
  for (const [health, label] of cases) {
    it(`${health}: the badge says "${label}" with an icon, not colour alone`, () => {
      const message = health === "HEALTHY" ? null : "Slack answered 503";
      const { card } = renderCard({ integration: integration({ healthStatus: health, healthMessage: message }) });
      const badge = within(card).getByText(label, { exact: true });
      expect(badge).toHaveClass(`health-${health.toLowerCase()}`);
      expect(badge.querySelector("svg")).not.toBeNull();
      if (message) expect(within(card).getByText(message)).toBeInTheDocument();
    });
  }

  it("shows the suggested action", () => {
    const { card } = renderCard({ integration: integration({ healthStatus: "DEGRADED", suggestedAction: "Rate limited until 12:05 UTC" }) });
    expect(within(card).getByText(/Next step: Rate limited until 12:05 UTC/)).toBeInTheDocument();
  });

  it("says nothing of a next step when the API has none", () => {
    const { card } = renderCard({ integration: integration({ healthStatus: "DEGRADED", healthMessage: "Slow", suggestedAction: null }) });
    expect(within(card).queryByText(/Next step/)).toBeNull();
  });

  it('"Last checked" follows the clock it is given', async () => {
    const { card, rerender } = renderCard({ integration: integration() });
    expect(within(card).getByText("3 minutes ago")).toBeInTheDocument();
    await rerender({ now: NOW + 60 * 60_000 });
    expect(within(card).getByText("1 hour ago")).toBeInTheDocument();
  });

  it("scopes: all granted, or the missing ones named", () => {
    const first = renderCard({ integration: integration() });
    expect(within(first.card).getByText(/All scopes granted/)).toBeInTheDocument();
    first.unmount();
    const { card } = renderCard({ integration: integration({ missingScopes: ["chat:write", "users:read"] }) });
    expect(within(card).getByText("Missing chat:write, users:read")).toBeInTheDocument();
  });

  it("links the account at the provider, safely, and never a non-http URL", () => {
    // The only connection: the account line names the account and links where it lives.
    const first = renderCard({ integration: integration() });
    const link = within(first.card).getByRole("link", { name: /^Acme Sandbox/ });
    expect(link).toHaveAttribute("href", "https://acme.slack.com");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(within(first.card).getAllByText("Acme Sandbox")).toHaveLength(1);
    expect(within(first.card).queryByText(/^Label:/)).toBeNull();
    first.unmount();
    // Renamed: the label comes above the account's own name.
    const renamed = renderCard({ integration: integration({ label: "Support team" }) });
    expect(renamed.card.querySelector(".label")).toHaveTextContent(/^Label: Support team$/);
    expect(within(renamed.card).getByRole("link", { name: /Acme Sandbox/ })).toHaveAttribute("href", "https://acme.slack.com");
    renamed.unmount();
    const evil = renderCard({ integration: integration({ label: "Evil", account: { id: "T1", name: "Evil", url: "javascript:alert(1)" } }) });
    expect(within(evil.card).getByText("Evil")).toBeInTheDocument();
    expect(evil.card.querySelector('a[href^="javascript"]')).toBeNull();
    evil.unmount();
    // Among several, the heading says the account's name: the link says where it lives.
    const { card } = renderCard({
      connections: [integration(), integration({ id: "int-2", label: "Support team", account: { id: "T2", name: "Globex Sandbox", url: "https://globex.slack.com" } })],
    });
    const acme = within(card).getByRole("article", { name: "Acme Sandbox" });
    expect(within(acme).getByRole("link", { name: /acme\.slack\.com/ })).toHaveAttribute("href", "https://acme.slack.com");
    expect(within(acme).getAllByText("Acme Sandbox")).toHaveLength(1);
    const support = within(card).getByRole("article", { name: "Support team" });
    expect(within(support).getByRole("link", { name: /Globex Sandbox/ })).toHaveAttribute("href", "https://globex.slack.com");
  });
});

describe("provider setup", () => {
  it("a sandbox provider carries the label, but no notice of its own (the page shows one for all)", () => {
    for (const connection of [undefined, integration()]) {
      const { card, unmount } = renderCard({ provider: provider({ configured: false, sandbox: true }), integration: connection });
      expect(within(card).getByText("Sandbox", { exact: true })).toHaveAttribute("title", expect.stringMatching(/built-in emulator/));
      expect(within(card).queryByRole("link", { name: /Sandbox controls/ })).toBeNull();
      expect(within(card).queryByText(/Emulated provider/)).toBeNull();
      expect(within(card).queryByText("Not configured")).toBeNull();
      unmount();
    }
  });

  it('"Not configured" shows the redirect URI with a Copy button, and Connect cannot be used', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const p = provider({ configured: false, sandbox: false });
    const { card } = renderCard({ provider: p });
    expect(within(card).getByText("Not configured")).toBeInTheDocument();
    expect(within(card).getByText(p.redirectUri)).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("aria-disabled", "true");
    await fireEvent.click(within(card).getByRole("button", { name: /Copy/ }));
    expect(writeText).toHaveBeenCalledWith(p.redirectUri);
    await waitFor(() => expect(within(card).getAllByText("Copied").length).toBeGreaterThan(0));
  });
});

describe("roles", () => {
  const cases: [Role, { connect: boolean; test: boolean; disconnect: boolean }][] = [
    ["OWNER", { connect: true, test: true, disconnect: true }],
    ["ADMIN", { connect: true, test: true, disconnect: true }],
    ["MEMBER", { connect: false, test: true, disconnect: false }],
    ["VIEWER", { connect: false, test: false, disconnect: false }],
  ];
  for (const [role, can] of cases) {
    it(`${role}: connect ${can.connect ? "allowed" : "blocked"}, test ${can.test ? "allowed" : "blocked"}, disconnect ${can.disconnect ? "allowed" : "blocked"}`, () => {
      const notConnected = renderCard({ role });
      const connect = within(notConnected.card).getByRole("link", { name: "Connect" });
      if (can.connect) {
        expect(connect).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack");
      } else {
        expect(connect).not.toHaveAttribute("href");
        expect(connect).toHaveAttribute("aria-disabled", "true");
        expect(connect).toHaveAttribute("title", "Only workspace owners and admins can connect integrations");
      }
      notConnected.unmount();

      const { card } = renderCard({ role, integration: integration() });
      const test = within(card).getByRole("button", { name: "Test connection" });
      const disconnect = within(card).getByRole("button", { name: "Disconnect" });
      if (can.test) expect(test).toBeEnabled();
      else expect(test).toBeDisabled();
      if (can.disconnect) expect(disconnect).toBeEnabled();
      else expect(disconnect).toBeDisabled();
    });
  }
});

describe("loading states", () => {
  const result = (status: HealthStatus, steps: TestResult["steps"]): { data: { testIntegration: TestResult } } => ({
    data: {
      testIntegration: {
        status,
        steps,
        errorCode: status === "HEALTHY" ? null : "TOKEN_REVOKED",
        message: status === "HEALTHY" ? null : "Slack says the token was revoked",
        latencyMs: 42,
        checkedAt: new Date(NOW).toISOString(),
        integration: integration({ healthStatus: status }),
      },
    },
  });

  it('"Test connection" shows "Testing…" while it runs, then each step in order and the result', async () => {
    const { card, mutation, pending } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Test connection" }));
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-1" });
    const busy = within(card).getByRole("button", { name: /Testing…/ });
    expect(busy).toBeDisabled();
    expect(busy).toHaveAttribute("aria-busy", "true");
    expect(within(card).getByText("Running the check…")).toBeInTheDocument();

    pending[0]!.resolve(
      result("UNHEALTHY", [
        { step: "token", ok: true, latencyMs: 3, code: null, message: null },
        { step: "api", ok: false, latencyMs: 39, code: "TOKEN_REVOKED", message: "Slack says the token was revoked" },
      ]),
    );
    // The first step appears before the second, and the summary comes last.
    await waitFor(() => expect(within(card).getByText("Token")).toBeInTheDocument());
    expect(within(card).queryByText("Test result: Unhealthy, 42 ms", { exact: false })).toBeNull();
    await waitFor(() => expect(within(card).getByText("API call")).toBeInTheDocument());
    await waitFor(() => expect(within(card).getByText(/Test result: Unhealthy, 42 ms/)).toBeInTheDocument());
    // The layers a failing check never reached are marked as such.
    expect(within(card).getByText("Identity").closest("li")).toHaveTextContent("not reached");
    expect(within(card).getByRole("button", { name: "Test connection" })).toBeEnabled();
  });

  it("an error from the API is shown as an alert", async () => {
    const { card, pending } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Test connection" }));
    pending[0]!.resolve({ data: null, error: { graphQLErrors: [{ message: "This integration is not connected." }], message: "x" } });
    await waitFor(() => expect(within(card).getByRole("alert")).toHaveTextContent("Could not test the connection: This integration is not connected."));
  });

  it('a running "Test all" shows the card as testing', () => {
    const { card } = renderCard({ integration: integration(), checking: true });
    expect(within(card).getByRole("button", { name: /Testing…/ })).toBeDisabled();
    expect(card.querySelector(".connection")).toHaveAttribute("aria-busy", "true");
  });

  it('Connect turns into "Connecting…" once clicked', async () => {
    const { card } = renderCard();
    const link = within(card).getByRole("link", { name: "Connect" });
    // No real navigation in the test.
    link.addEventListener("click", (event) => event.preventDefault());
    await fireEvent.click(link);
    expect(within(card).getByRole("link", { name: /Connecting…/ })).toHaveAttribute("aria-disabled", "true");
  });

  it('Reconnect is offered when a reconnect is required, and turns into "Reconnecting…"', async () => {
    const { card } = renderCard({ integration: integration({ status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", suggestedAction: "Reconnect" }) });
    const link = within(card).getByRole("link", { name: "Reconnect" });
    link.addEventListener("click", (event) => event.preventDefault());
    await fireEvent.click(link);
    expect(within(card).getByRole("link", { name: /Reconnecting…/ })).toBeInTheDocument();
  });

  it("Disconnect asks first, then shows its progress in the dialog", async () => {
    const { card, mutation, pending } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Disconnect" }));
    expect(mutation).not.toHaveBeenCalled();
    const dialog = within(card).getByRole("dialog", { name: "Disconnect Slack?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toBeInTheDocument();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-1", forget: false });
    expect(within(dialog).getByRole("button", { name: "Disconnecting…" })).toBeDisabled();
    pending[0]!.resolve({
      data: { disconnectIntegration: { disconnected: true, revoked: true, alreadyRevoked: false, revocationError: null, revocationMessage: null, integration: integration({ status: "DISCONNECTED" }) } },
    });
    await waitFor(() => expect(within(card).getByText("Disconnected Acme Sandbox (Slack): the tokens were revoked and deleted.")).toBeInTheDocument());
  });

  it("Cancel leaves the connection alone", async () => {
    const { card, mutation } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Disconnect" }));
    const dialog = within(card).getByRole("dialog", { name: "Disconnect Slack?" });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(mutation).not.toHaveBeenCalled();
  });
});

describe("org choice (Salesforce)", () => {
  const salesforce = (overrides: Partial<Provider> = {}) =>
    provider({
      id: "salesforce",
      name: "Salesforce",
      description: "Records and limits of a Salesforce org",
      redirectUri: "http://localhost:3000/api/integrations/oauth/callback/salesforce",
      scopes: ["api", "refresh_token", "openid"],
      type: "salesforce",
      orgChoice: true,
      ...overrides,
    });
  const salesforceConnection = (overrides: Partial<Integration> = {}) =>
    integration({ providerId: "salesforce", label: "Acme Sandbox Org", account: { id: "00D", name: "Acme Sandbox Org", url: null }, grantedScopes: ["api", "refresh_token", "openid"], ...overrides });
  const AUTHORIZE = "/api/integrations/oauth/authorize?provider=salesforce";

  it("only a provider that asks for an org shows the Org control", () => {
    const slack = renderCard();
    expect(within(slack.card).queryByLabelText("Org")).toBeNull();
    expect(within(slack.card).getByRole("link", { name: "Connect" })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack");
    slack.unmount();

    const { card } = renderCard({ provider: salesforce() });
    const org = within(card).getByRole("combobox", { name: "Org" });
    expect(within(org).getAllByRole("option").map((option) => option.textContent)).toEqual(["Production", "Sandbox", "My Domain"]);
    expect(org).toHaveValue("production");
    expect(within(card).queryByRole("textbox", { name: "My Domain" })).toBeNull();
  });

  it("Connect stays a link whose href carries the org: production by default, then the choice", async () => {
    const { card } = renderCard({ provider: salesforce() });
    const connect = () => within(card).getByRole("link", { name: "Connect" });
    expect(connect()).toHaveAttribute("href", `${AUTHORIZE}&org=production`);
    await fireEvent.change(within(card).getByRole("combobox", { name: "Org" }), { target: { value: "sandbox" } });
    expect(connect()).toHaveAttribute("href", `${AUTHORIZE}&org=sandbox`);
  });

  it("is not offered to members and viewers; on a connected card it goes with Add another, not with the connection", () => {
    for (const role of ["MEMBER", "VIEWER"] as const) {
      const { card, unmount } = renderCard({ provider: salesforce(), role });
      expect(within(card).queryByLabelText("Org")).toBeNull();
      expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("aria-disabled", "true");
      unmount();
    }
    const { card } = renderCard({ provider: salesforce(), integration: salesforceConnection({ org: "sandbox" }) });
    const connection = card.querySelector<HTMLElement>(".connection")!;
    expect(within(connection).queryByLabelText("Org")).toBeNull();
    expect(within(connection).getByText("Org: Sandbox")).toBeInTheDocument();
    expect(within(card).getByRole("combobox", { name: "Org" })).toHaveValue("production");
    expect(within(card).getByRole("link", { name: "Add another" })).toHaveAttribute("href", `${AUTHORIZE}&org=production`);
  });

  it("My Domain is checked as it is typed; Connect is disabled with the reason until it is valid", async () => {
    const { card } = renderCard({ provider: salesforce() });
    await fireEvent.change(within(card).getByRole("combobox", { name: "Org" }), { target: { value: "mydomain" } });
    const field = within(card).getByRole("textbox", { name: "My Domain" });
    expect(field).toHaveAccessibleDescription(/acme or https:\/\/acme\.my\.salesforce\.com/);

    // Empty: explained by the hint and the link's title, not shouted as an error.
    let connect = within(card).getByRole("link", { name: "Connect" });
    expect(connect).toHaveAttribute("aria-disabled", "true");
    expect(connect).not.toHaveAttribute("href");
    expect(connect).toHaveAttribute("title", expect.stringMatching(/Enter your My Domain/));
    expect(field).not.toHaveAttribute("aria-invalid");

    await fireEvent.input(field, { target: { value: "acme.lightning.force.com" } });
    const refusal = "That is a Lightning address, not a login host. Use the My Domain URL instead: https://acme.my.salesforce.com";
    expect(within(card).getByText(refusal)).toBeInTheDocument();
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(expect.stringContaining("Use the My Domain URL instead"));
    connect = within(card).getByRole("link", { name: "Connect" });
    expect(connect).toHaveAttribute("aria-disabled", "true");
    expect(connect).not.toHaveAttribute("href");
    expect(connect).toHaveAttribute("title", refusal);
    expect(connect).toHaveAccessibleDescription(refusal);

    await fireEvent.input(field, { target: { value: " Acme " } });
    expect(within(card).queryByText(refusal)).toBeNull();
    expect(field).not.toHaveAttribute("aria-invalid");
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("href", `${AUTHORIZE}&org=acme`);

    await fireEvent.input(field, { target: { value: "https://acme--uat.sandbox.my.salesforce.com/" } });
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute(
      "href",
      `${AUTHORIZE}&org=${encodeURIComponent("https://acme--uat.sandbox.my.salesforce.com/")}`,
    );

    // Back to a fixed org: the field goes, and so does its refusal.
    await fireEvent.input(field, { target: { value: "acme_corp" } });
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("aria-disabled", "true");
    await fireEvent.change(within(card).getByRole("combobox", { name: "Org" }), { target: { value: "production" } });
    expect(within(card).queryByRole("textbox", { name: "My Domain" })).toBeNull();
    expect(within(card).getByRole("link", { name: "Connect" })).toHaveAttribute("href", `${AUTHORIZE}&org=production`);
  });

  it("Reconnect names the connection and leaves the org to it (the API signs in to the connection's own org)", () => {
    const { card } = renderCard({
      provider: salesforce(),
      integration: salesforceConnection({ status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", org: "https://acme.my.salesforce.com" }),
    });
    const connection = card.querySelector<HTMLElement>(".connection")!;
    expect(within(connection).getByText("Org: https://acme.my.salesforce.com")).toBeInTheDocument();
    expect(within(connection).getByRole("link", { name: "Reconnect" })).toHaveAttribute("href", `${AUTHORIZE}&integration=int-1`);
  });

  it("a new list from the API keeps the choice in progress", async () => {
    const { card, rerender } = renderCard({ provider: salesforce(), integration: salesforceConnection({ status: "ERROR", org: "sandbox" }) });
    await fireEvent.change(within(card).getByRole("combobox", { name: "Org" }), { target: { value: "sandbox" } });
    await rerender({ connections: [salesforceConnection({ status: "ERROR", org: "sandbox", lastHealthCheckAt: new Date(NOW).toISOString() })] });
    expect(within(card).getByRole("combobox", { name: "Org" })).toHaveValue("sandbox");
    expect(within(card).getByRole("link", { name: "Add another" })).toHaveAttribute("href", `${AUTHORIZE}&org=sandbox`);
  });

  it('"Reconnect to grant" reconnects the same connection, in its own org', () => {
    const { card } = renderCard({ provider: salesforce(), integration: salesforceConnection({ org: "sandbox", missingScopes: ["api"] }) });
    expect(within(card).getByText("Missing api")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: /^Reconnect to grant/ })).toHaveAttribute("href", `${AUTHORIZE}&integration=int-1`);
  });
});

describe("missing scopes", () => {
  const cases: [Role, boolean][] = [
    ["OWNER", true],
    ["ADMIN", true],
    ["MEMBER", false],
    ["VIEWER", false],
  ];
  for (const [role, offered] of cases) {
    it(`${role}: "Missing chat:write"${offered ? ' with a "Reconnect to grant" link' : ", without a link"}`, () => {
      const { card } = renderCard({ role, integration: integration({ grantedScopes: ["channels:read"], missingScopes: ["chat:write"] }) });
      expect(within(card).getByText("Missing chat:write")).toBeInTheDocument();
      const grant = within(card).queryByRole("link", { name: /^Reconnect to grant/ });
      if (offered) {
        expect(grant).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack&integration=int-1");
        expect(grant).toHaveAccessibleDescription("Missing chat:write");
      } else {
        expect(grant).toBeNull();
      }
    });
  }

  it("no link when the provider cannot be connected from this server", () => {
    const { card } = renderCard({ provider: provider({ configured: false, sandbox: false }), integration: integration({ missingScopes: ["chat:write"] }) });
    expect(within(card).getByText("Missing chat:write")).toBeInTheDocument();
    expect(within(card).queryByRole("link", { name: /^Reconnect to grant/ })).toBeNull();
  });
});

describe("disconnect outcomes", () => {
  async function disconnectWith(result: Record<string, unknown>) {
    const rendered = renderCard({ provider: provider({ id: "google", name: "Google", type: "google" }), integration: integration({ providerId: "google", label: "sandy@example.com" }) });
    await fireEvent.click(within(rendered.card).getByRole("button", { name: "Disconnect" }));
    const dialog = within(rendered.card).getByRole("dialog", { name: "Disconnect Google?" });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    rendered.pending[0]!.resolve({
      data: {
        disconnectIntegration: {
          disconnected: true,
          revoked: false,
          alreadyRevoked: false,
          revocationError: null,
          revocationMessage: null,
          integration: integration({ providerId: "google", status: "DISCONNECTED" }),
          ...result,
        },
      },
    });
    return rendered;
  }

  it("access already removed at the provider: says so, and that the tokens were deleted", async () => {
    const { card } = await disconnectWith({ alreadyRevoked: true });
    await waitFor(() =>
      expect(within(card).getByText("Disconnected sandy@example.com (Google): access had already been removed at Google; the tokens were deleted.")).toBeInTheDocument(),
    );
  });

  it("not revoked (forgotten): asks for the access to be removed at the provider too", async () => {
    const { card } = await disconnectWith({});
    await waitFor(() => expect(within(card).getByText(/the tokens were deleted here\. Revoke Switchboard's access in your Google account too\./)).toBeInTheDocument());
  });
});

describe("the last 30 checks, uptime and latency", () => {
  it("a connected card draws a strip of its last 30 checks, newest first, with the 24 h uptime and the latest latency", () => {
    const { card } = renderCard({
      integration: integration({ recentChecks: checks(30, (index) => (index === 0 ? "UNHEALTHY" : index < 3 ? "DEGRADED" : "HEALTHY")), uptime: { last24h: 0.9 } }),
    });
    const strip = within(card).getByRole("list", { name: "Latest 30 checks" });
    const beats = within(strip).getAllByRole("listitem");
    expect(beats).toHaveLength(30);
    // Newest first in reading order, with what it found and how long it took.
    expect(beats[0]).toHaveTextContent(/Unhealthy, 100 ms \(PROVIDER_ERROR\)$/);
    expect(beats[0]).toHaveClass("beat-down");
    expect(beats[1]).toHaveClass("beat-degraded");
    expect(beats[29]).toHaveTextContent(/Healthy, 129 ms$/);
    expect(beats[29]).toHaveClass("beat-up");
    expect(card.querySelector(".uptime-24h")).toHaveTextContent(/^Uptime \(24 h\): 90\.00%$/);
    expect(card.querySelector(".latency")).toHaveTextContent(/^Latency: 100 ms$/);
  });

  it("a connection not checked yet says so instead of drawing an empty strip, and shows no latency", () => {
    const { card } = renderCard({ integration: integration({ recentChecks: [], state: "UNKNOWN", healthStatus: "UNKNOWN", lastHealthCheckAt: null, uptime: { last24h: null } }) });
    expect(within(card).getByText("No checks yet.")).toBeInTheDocument();
    expect(within(card).queryByRole("list")).toBeNull();
    expect(card.querySelector(".latency")).toBeNull();
    expect(within(card).getByText("Not checked yet", { exact: true })).toBeInTheDocument();
  });

  it("each card's strip is named by its own heading (no duplicate ids on a page of cards)", () => {
    const first = renderCard({ integration: integration() });
    renderCard({ provider: provider({ id: "hubspot", name: "HubSpot", type: "hubspot" }), integration: integration({ id: "int-2", providerId: "hubspot", recentChecks: checks(2) }) });
    // A level below the provider's name (h2): no connection heading sits between them.
    const headings = [...document.querySelectorAll("h3[id$='beats-heading']")].map((h) => h.id);
    expect(headings).toHaveLength(2);
    expect(new Set(headings).size).toBe(2);
    expect(within(first.card).getByRole("list", { name: "Latest 3 checks" })).toBeInTheDocument();
    expect(within(screen.getByRole("article", { name: "HubSpot" })).getByRole("list", { name: "Latest 2 checks" })).toBeInTheDocument();
  });
});

describe("messages that say what to do", () => {
  const failing = (overrides: Partial<Integration> = {}) =>
    integration({
      state: "FAILING",
      healthStatus: "DEGRADED",
      consecutiveFailures: 1,
      healthMessage: "Slack had an internal error",
      suggestedAction: "Check Slack's status page; checks continue and the card recovers by itself",
      lastError: {
        code: "PROVIDER_ERROR",
        message: "Slack had an internal error",
        step: "api",
        httpStatus: 500,
        endpoint: "POST /api/auth.test",
        providerMessage: "internal_error",
        at: new Date(NOW - 60_000).toISOString(),
      },
      ...overrides,
    });

  it("a failing connection shows the provider's status, endpoint and words, a link to its status page, and the next step", () => {
    const { card } = renderCard({ integration: failing() });
    expect(within(card).getByText("Slack answered 500 at POST /api/auth.test: internal_error", { exact: true })).toBeInTheDocument();
    expect(within(card).getByText("Slack had an internal error", { exact: true })).toBeInTheDocument();
    const statusPage = within(card).getByRole("link", { name: /Slack status page/ });
    expect(statusPage).toHaveAttribute("href", "https://slack-status.com/");
    expect(statusPage).toHaveAttribute("target", "_blank");
    expect(statusPage).toHaveAttribute("rel", "noopener noreferrer");
    expect(statusPage).toHaveAccessibleName("Slack status page (opens in a new tab)");
    expect(within(card).getByText(/^Next step: Check Slack's status page; checks continue/)).toBeInTheDocument();
    expect(within(card).queryByText(/None yet/)).toBeNull();
  });

  it("a timeout has no HTTP status: it says the provider did not answer, and where", () => {
    const { card } = renderCard({
      integration: failing({
        healthMessage: "Slack did not answer within 10 s",
        lastError: { code: "TIMEOUT", message: "Slack did not answer within 10 s", step: "api", httpStatus: null, endpoint: "POST /api/auth.test", providerMessage: null, at: new Date(NOW).toISOString() },
      }),
    });
    expect(within(card).getByText("No answer from Slack at POST /api/auth.test", { exact: true })).toBeInTheDocument();
    expect(within(card).getByText("Slack did not answer within 10 s", { exact: true })).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: /Slack status page/ })).toBeInTheDocument();
  });

  it("no status page link without a page, with a non-http one, or when the grant or scopes are the problem", () => {
    const cases: Partial<Integration>[] = [
      { provider: { id: "slack", statusPageUrl: null } },
      { provider: { id: "slack", statusPageUrl: "javascript:alert(1)" } },
      { state: "REAUTH_REQUIRED", status: "REAUTH_REQUIRED", suggestedAction: "Reconnect" },
      { state: "MISSING_SCOPES", healthStatus: "HEALTHY", missingScopes: ["chat:write"], suggestedAction: "Reconnect to grant chat:write" },
    ];
    for (const overrides of cases) {
      const { card, unmount } = renderCard({ integration: failing(overrides) });
      expect(within(card).queryByRole("link", { name: /status page/ })).toBeNull();
      expect(within(card).getByText(/^Next step: /)).toBeInTheDocument();
      unmount();
    }
  });

  it("a healthy connection shows no error block", () => {
    const { card } = renderCard({ integration: integration() });
    expect(card.querySelector(".problem")).toBeNull();
    expect(within(card).queryByRole("link", { name: /status page/ })).toBeNull();
  });

  it('missing scopes: owners get "Reconnect to grant"; members are told who can', () => {
    const missing: Partial<Integration> = { state: "MISSING_SCOPES", missingScopes: ["chat:write"], suggestedAction: "Reconnect to grant chat:write" };
    const owner = renderCard({ integration: integration(missing) });
    expect(within(owner.card).getByRole("link", { name: /^Reconnect to grant/ })).toBeInTheDocument();
    expect(within(owner.card).getByText(/^Next step: Reconnect to grant chat:write$/)).toBeInTheDocument();
    owner.unmount();
    const { card } = renderCard({ role: "MEMBER", integration: integration(missing) });
    expect(within(card).queryByRole("link", { name: /^Reconnect to grant/ })).toBeNull();
    expect(within(card).getByText(/^Next step: Reconnect to grant chat:write \(a workspace owner or admin can\)$/)).toBeInTheDocument();
  });
});

describe("the test panel", () => {
  const healthy: { data: { testIntegration: TestResult } } = {
    data: {
      testIntegration: {
        status: "HEALTHY",
        steps: [
          { step: "token", ok: true, latencyMs: 1, code: null, message: null },
          { step: "api", ok: true, latencyMs: 40, code: null, message: null },
        ],
        errorCode: null,
        message: null,
        latencyMs: 41,
        checkedAt: new Date(NOW).toISOString(),
        integration: integration(),
      },
    },
  };

  it('closes with "Close", which returns focus to "Test connection"', async () => {
    const { card, pending } = renderCard({ integration: integration() });
    const test = within(card).getByRole("button", { name: "Test connection" });
    await fireEvent.click(test);
    // No Close while the check runs: there is nothing to close yet.
    expect(within(card).queryByRole("button", { name: "Close" })).toBeNull();
    pending[0]!.resolve(healthy);
    await waitFor(() => expect(within(card).getByText(/Test result: Healthy, 41 ms/)).toBeInTheDocument());
    await fireEvent.click(within(card).getByRole("button", { name: "Close" }));
    expect(within(card).queryByText(/Test result/)).toBeNull();
    expect(within(card).queryByText("Token")).toBeNull();
    expect(within(card).queryByRole("button", { name: "Close" })).toBeNull();
    await waitFor(() => expect(within(card).getByRole("button", { name: "Test connection" })).toHaveFocus());
  });

  it("an API error can be closed too", async () => {
    const { card, pending } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Test connection" }));
    pending[0]!.resolve({ data: null, error: { graphQLErrors: [{ message: "Too many tests." }], message: "x" } });
    await waitFor(() => expect(within(card).getByRole("alert")).toHaveTextContent("Could not test the connection: Too many tests."));
    await fireEvent.click(within(card).getByRole("button", { name: "Close" }));
    expect(within(card).queryByRole("alert")).toBeNull();
    await waitFor(() => expect(within(card).getByRole("button", { name: "Test connection" })).toHaveFocus());
  });

  it("a new test replaces the last result", async () => {
    const { card, pending } = renderCard({ integration: integration() });
    await fireEvent.click(within(card).getByRole("button", { name: "Test connection" }));
    pending[0]!.resolve(healthy);
    await waitFor(() => expect(within(card).getByText(/Test result: Healthy/)).toBeInTheDocument());
    await fireEvent.click(within(card).getByRole("button", { name: "Test connection" }));
    expect(within(card).queryByText(/Test result/)).toBeNull();
    expect(within(card).getByText("Running the check…")).toBeInTheDocument();
  });
});

describe("several connections to one provider", () => {
  const acme = () => integration();
  const globex = (overrides: Partial<Integration> = {}) =>
    integration({ id: "int-2", label: "Globex Sandbox", account: { id: "T2", name: "Globex Sandbox", url: "https://globex.slack.com" }, ...overrides });

  it("one article per connection inside the provider's, named by its label, with the count and Add another", () => {
    const { card } = renderCard({ connections: [acme(), globex()], connected: 2 });
    const articles = within(card).getAllByRole("article");
    expect(articles.map((a) => a.getAttribute("aria-labelledby") && document.getElementById(a.getAttribute("aria-labelledby")!)?.textContent)).toEqual([
      "Acme Sandbox",
      "Globex Sandbox",
    ]);
    expect(within(card).getByText("2 connections", { exact: true })).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Add another" })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack");
    // Each connection has its own controls; the provider's card has no Connect of its own.
    for (const name of ["Acme Sandbox", "Globex Sandbox"]) {
      const connection = within(card).getByRole("article", { name });
      expect(within(connection).getAllByRole("button", { name: "Test connection" })).toHaveLength(1);
      expect(within(connection).getAllByRole("button", { name: "Disconnect" })).toHaveLength(1);
      expect(within(connection).getByRole("link", { name: /History and uptime/ })).toHaveAccessibleName(`History and uptime of ${name} (Slack)`);
    }
    expect(within(card).queryByRole("link", { name: "Connect" })).toBeNull();
  });

  it("the provider's article is the only one named after it while it has one connection; a second makes one article each", async () => {
    const hubspot = provider({ id: "hubspot", name: "HubSpot", type: "hubspot", description: "Contacts and deals of a HubSpot portal" });
    const portal = (overrides: Partial<Integration> = {}) =>
      integration({ providerId: "hubspot", label: "acme-sandbox.hubspot.com", account: { id: "4242", name: "acme-sandbox.hubspot.com", url: "https://app.hubspot.com/home?portalId=4242" }, ...overrides });
    const { card, rerender } = renderCard({ provider: hubspot, connections: [portal()], connected: 1 });
    // Found as the contract's tests find it: no `exact`, so "acme-sandbox.hubspot.com" would match too.
    expect(screen.getAllByRole("article", { name: "HubSpot" })).toEqual([card]);
    expect(within(card).getByText("Connected", { exact: true })).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Add another" })).toBeInTheDocument();
    await rerender({ connections: [portal(), portal({ id: "int-2", label: "Globex Sandbox", account: { id: "40000002", name: "Globex Sandbox", url: null } })], connected: 2 });
    expect(within(card).getAllByRole("article").map((a) => a.getAttribute("aria-labelledby") && document.getElementById(a.getAttribute("aria-labelledby")!)?.textContent)).toEqual([
      "acme-sandbox.hubspot.com",
      "Globex Sandbox",
    ]);
    expect(within(card).getAllByRole("heading", { level: 3 }).map((h) => h.textContent)).toEqual(["acme-sandbox.hubspot.com", "Globex Sandbox"]);
    expect(document.querySelectorAll("h4[id$='beats-heading']")).toHaveLength(2);
  });

  it("says how many need attention, and a reconnect names its own connection", () => {
    const { card } = renderCard({ connections: [acme(), globex({ status: "REAUTH_REQUIRED", state: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY" })], connected: 2, needsAttention: 1 });
    expect(within(card).getByText("2 connections · 1 needs attention", { exact: true })).toBeInTheDocument();
    const globexCard = within(card).getByRole("article", { name: "Globex Sandbox" });
    expect(within(globexCard).getByRole("link", { name: "Reconnect" })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=slack&integration=int-2");
    expect(within(within(card).getByRole("article", { name: "Acme Sandbox" })).queryByRole("link", { name: "Reconnect" })).toBeNull();
  });

  it("counts the connections that are not shown, and says why", () => {
    const { card } = renderCard({ connections: [acme()], connected: 3, note: "2 more connections not loaded yet." });
    expect(within(card).getByText("3 connections", { exact: true })).toBeInTheDocument();
    // One shown: in the provider's article, no article of its own.
    expect(within(card).queryAllByRole("article")).toHaveLength(0);
    expect(within(card).getAllByRole("button", { name: "Test connection" })).toHaveLength(1);
    expect(within(card).getByText("2 more connections not loaded yet.")).toBeInTheDocument();
  });

  it("Test connection checks its own connection only", async () => {
    const { card, mutation } = renderCard({ connections: [acme(), globex()] });
    await fireEvent.click(within(within(card).getByRole("article", { name: "Globex Sandbox" })).getByRole("button", { name: "Test connection" }));
    expect(mutation).toHaveBeenCalledTimes(1);
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-2" });
    expect(within(within(card).getByRole("article", { name: "Acme Sandbox" })).getByRole("button", { name: "Test connection" })).toBeEnabled();
  });

  it("disconnecting one asks about that one; once the list drops it, focus moves to Add another", async () => {
    const { card, mutation, pending, rerender } = renderCard({ connections: [acme(), globex()], connected: 2 });
    await fireEvent.click(within(within(card).getByRole("article", { name: "Globex Sandbox" })).getByRole("button", { name: "Disconnect" }));
    const dialog = within(card).getByRole("dialog", { name: "Disconnect Slack?" });
    expect(dialog).toHaveAccessibleDescription(/revoke the tokens of Globex Sandbox/);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-2", forget: false });
    pending[0]!.resolve({
      data: { disconnectIntegration: { disconnected: true, revoked: true, alreadyRevoked: false, revocationError: null, revocationMessage: null, integration: globex({ status: "DISCONNECTED" }) } },
    });
    await waitFor(() => expect(within(card).getByText("Disconnected Globex Sandbox (Slack): the tokens were revoked and deleted.")).toBeInTheDocument());
    // The page's list follows the connection's event: it is disconnected now, and the one left
    // is shown in the provider's article, no longer an article of its own.
    await rerender({ connections: [acme(), globex({ status: "DISCONNECTED", state: "NOT_CONNECTED" })], connected: 1 });
    expect(within(card).queryAllByRole("article")).toHaveLength(0);
    expect(within(card).getAllByRole("button", { name: "Test connection" })).toHaveLength(1);
    expect(within(card).getByRole("link", { name: /History and uptime/ })).toHaveAttribute("href", "/dashboard/integrations/int-1");
    expect(within(card).getByText("1 connection", { exact: true })).toBeInTheDocument();
    await waitFor(() => expect(within(card).getByRole("link", { name: "Add another" })).toHaveFocus());
  });
});
