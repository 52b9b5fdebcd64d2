import "@testing-library/jest-dom/vitest";
import { describe, expect, it, vi } from "vitest";
import { createRawSnippet } from "svelte";
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import ChoiceGroup from "./ChoiceGroup.svelte";
import ConfirmAction from "./ConfirmAction.svelte";
import DeliveryLog from "./DeliveryLog.svelte";
import SettingsForm from "./SettingsForm.svelte";
import SettingsList from "./SettingsList.svelte";
import type { DeliveryRow } from "./delivery";

const html = (text: string) => createRawSnippet(() => ({ render: () => text }));

describe("SettingsForm", () => {
  it("submits once while busy, shows the answer's error, and clears it on the next try", async () => {
    const user = userEvent.setup();
    let release: (value: string | null) => void = () => {};
    const onsubmit = vi.fn(() => new Promise<string | null>((resolve) => (release = resolve)));
    render(SettingsForm, { submitLabel: "Create key", busyLabel: "Creating…", onsubmit, inline: true, children: html('<div class="field"><label for="n">Name</label><input id="n" /></div>') });

    await user.click(screen.getByRole("button", { name: "Create key" }));
    const busy = screen.getByRole("button", { name: "Creating…" });
    expect(busy).toBeDisabled();
    expect(busy).toHaveAttribute("aria-busy", "true");
    await user.type(screen.getByLabelText("Name"), "{Enter}");
    expect(onsubmit).toHaveBeenCalledTimes(1);

    release("Give the key a name.");
    expect(await screen.findByRole("alert")).toHaveTextContent("Give the key a name.");
    await user.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.queryByRole("alert")).toBeNull();
    release(null);
    await screen.findByRole("button", { name: "Create key" });
    expect(screen.queryByRole("alert")).toBeNull();
    expect(onsubmit).toHaveBeenCalledTimes(2);
  });
});

describe("ChoiceGroup", () => {
  it("with described details, names each checkbox by its label alone and describes it by its detail", async () => {
    const options = [
      { value: "READ", label: "Read", detail: "The GraphQL API." },
      { value: "PROXY", label: "Proxy", detail: "Call a provider through the proxy." },
    ];
    render(ChoiceGroup, { legend: "Permissions", options, selected: ["READ"], describedDetails: true });
    const group = screen.getByRole("group", { name: "Permissions" });
    const read = within(group).getByRole("checkbox", { name: "Read" });
    expect(read).toBeChecked();
    expect(read).toHaveAccessibleDescription("The GraphQL API.");
    const proxy = within(group).getByRole("checkbox", { name: "Proxy" });
    expect(proxy).not.toBeChecked();
    // The label still ticks it.
    await userEvent.setup().click(within(group).getByText("Proxy"));
    expect(proxy).toBeChecked();
  });
});

describe("SettingsList", () => {
  const base = { what: "the API keys", onretry: () => {}, emptyState: html("<p>No API keys yet.</p>"), children: html("<p>the list</p>") };

  it("says it is loading, then shows the empty state or the list", () => {
    const { rerender } = render(SettingsList, { ...base, loaded: false });
    expect(screen.getByText("Loading the API keys…")).toBeInTheDocument();
    rerender({ ...base, loaded: true, empty: true });
    expect(screen.getByText("No API keys yet.")).toBeInTheDocument();
    rerender({ ...base, loaded: true, empty: false });
    expect(screen.getByText("the list")).toBeInTheDocument();
    expect(screen.queryByText("No API keys yet.")).toBeNull();
  });

  it("shows a failed load with the server's words and a Retry", async () => {
    const onretry = vi.fn();
    const error = { graphQLErrors: [{ message: "Only workspace owners and admins can do this." }], networkError: undefined, response: { status: 200 } };
    render(SettingsList, { ...base, onretry, loaded: false, error: error as never });
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Could not load the API keys");
    expect(alert).toHaveTextContent("Only workspace owners and admins can do this.");
    await userEvent.setup().click(within(alert).getByRole("button", { name: "Retry" }));
    expect(onretry).toHaveBeenCalledOnce();
  });
});

describe("ConfirmAction", () => {
  type Key = { id: string; name: string };

  it("asks about the item it was given and acts on that item only when confirmed", async () => {
    const user = userEvent.setup();
    const onconfirm = vi.fn(async (_key: Key) => null);
    const children = createRawSnippet((key: () => Key) => ({ render: () => `<p>Programs using ${key().name} stop working.</p>` }));
    const { component } = render(ConfirmAction<Key>, { title: (key: Key) => `Revoke "${key.name}"?`, confirmLabel: "Revoke", busyLabel: "Revoking…", onconfirm, children });

    component.ask({ id: "k1", name: "billing" });
    const dialog = await screen.findByRole("dialog", { name: 'Revoke "billing"?' });
    expect(dialog).toHaveTextContent("Programs using billing stop working.");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(onconfirm).not.toHaveBeenCalled();

    component.ask({ id: "k2", name: "crm" });
    const again = await screen.findByRole("dialog", { name: 'Revoke "crm"?' });
    await user.click(within(again).getByRole("button", { name: "Revoke" }));
    expect(onconfirm).toHaveBeenCalledExactlyOnceWith({ id: "k2", name: "crm" });
  });

  it("keeps the dialog open with the error the action answered", async () => {
    const user = userEvent.setup();
    const { component } = render(ConfirmAction<Key>, {
      title: () => "Delete?",
      confirmLabel: "Delete",
      busyLabel: "Deleting…",
      onconfirm: async () => "No such alert channel in this workspace.",
      children: html("<p>Gone for good.</p>"),
    });
    component.ask({ id: "c1", name: "x" });
    const dialog = await screen.findByRole("dialog", { name: "Delete?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("No such alert channel in this workspace.");
    expect(dialog).toHaveAttribute("open");
  });
});

describe("DeliveryLog", () => {
  const row = (overrides: Partial<DeliveryRow>): DeliveryRow => ({
    id: "d1",
    createdAt: "2026-12-06T04:00:00.000Z",
    event: "Test",
    status: "delivered",
    attempts: 1,
    responseStatus: 250,
    lastError: null,
    nextAttemptAt: null,
    durationMs: 12,
    ...overrides,
  });

  it("shows each delivery's outcome with the code of its transport, and the reason of a failure", () => {
    render(DeliveryLog, {
      label: "Deliveries to On-call",
      code: "SMTP",
      emptyText: "None yet.",
      deliveries: [
        row({}),
        row({ id: "d2", status: "pending", attempts: 2, responseStatus: null, lastError: "e-mail is not set up: set SMTP_URL", nextAttemptAt: "2026-12-06T04:05:00.000Z", durationMs: null }),
        row({ id: "d3", status: "failed", attempts: 8, responseStatus: 550, lastError: "mailbox unavailable" }),
      ],
    });
    const rows = within(screen.getByRole("region", { name: /Deliveries to On-call/ })).getAllByRole("row").slice(1);
    const text = rows.map((r) => r.textContent?.replace(/\s+/g, " ").trim());
    expect(text[0]).toContain("Delivered (SMTP 250)");
    expect(text[0]).toContain("in 12 ms");
    expect(text[1]).toContain("Retrying");
    expect(text[1]).toContain("e-mail is not set up: set SMTP_URL");
    expect(text[1]).toContain("next try");
    expect(text[2]).toContain("Failed");
    expect(text[2]).toContain("SMTP 550 mailbox unavailable");
  });

  it("says so when nothing was sent yet", () => {
    render(DeliveryLog, { label: "Deliveries", deliveries: [], emptyText: "None yet. Send a test to try the channel." });
    expect(screen.getByText("None yet. Send a test to try the channel.")).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });
});
