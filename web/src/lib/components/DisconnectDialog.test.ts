import "@testing-library/jest-dom/vitest";
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import DisconnectDialog from "./DisconnectDialog.svelte";

// The disconnect dialog on its own, with a fake urql client whose mutations resolve when the
// test says so: what it sends, what it shows when the provider does not confirm, and what it
// tells the card once disconnected.

type Deferred = { promise: Promise<unknown>; resolve: (value: unknown) => void };

function renderDialog(label: string | null = null) {
  const pending: Deferred[] = [];
  const mutation = vi.fn(() => {
    let resolve!: (value: unknown) => void;
    const promise = new Promise<unknown>((r) => (resolve = r));
    pending.push({ promise, resolve });
    return { toPromise: () => promise };
  });
  const ondisconnected = vi.fn();
  const rendered = render(DisconnectDialog, {
    props: { provider: { id: "slack", name: "Slack" }, integrationId: "int-1", label, ondisconnected },
    context: new Map([["$$_urql", { mutation }]]),
  });
  const open = () => {
    rendered.component.open();
    return screen.getByRole("dialog", { name: "Disconnect Slack?" });
  };
  return { ...rendered, open, mutation, pending, ondisconnected };
}

const outcome = (result: Record<string, unknown>) => ({
  data: {
    disconnectIntegration: { disconnected: true, revoked: true, alreadyRevoked: false, revocationError: null, revocationMessage: null, integration: null, ...result },
  },
});

describe("DisconnectDialog", () => {
  it("is closed until opened, then says what will happen, with Cancel first", async () => {
    const { open, mutation } = renderDialog();
    expect(screen.queryByRole("dialog")).toBeNull();
    const dialog = open();
    expect(dialog).toHaveAccessibleDescription("Switchboard asks Slack to revoke its tokens, then deletes them. The health history stays.");
    const buttons = within(dialog).getAllByRole("button");
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(["Cancel", "Disconnect"]);
    await fireEvent.click(buttons[0]!);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(mutation).not.toHaveBeenCalled();
  });

  it("revokes, closes and tells the card what happened", async () => {
    const { open, mutation, pending, ondisconnected } = renderDialog();
    await fireEvent.click(within(open()).getByRole("button", { name: "Disconnect" }));
    expect(mutation).toHaveBeenCalledWith(expect.anything(), { id: "int-1", forget: false });
    pending[0]!.resolve(outcome({}));
    await waitFor(() => expect(ondisconnected).toHaveBeenCalledWith("Disconnected Slack: the tokens were revoked and deleted."));
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("when the provider does not confirm the revocation, says why and offers to forget the tokens anyway", async () => {
    const { open, mutation, pending, ondisconnected } = renderDialog();
    const dialog = open();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    // Escape cannot hide a request still running.
    const cancel = new Event("cancel", { cancelable: true });
    dialog.dispatchEvent(cancel);
    expect(cancel.defaultPrevented).toBe(true);
    pending[0]!.resolve(outcome({ disconnected: false, revoked: false, revocationError: "network", revocationMessage: "connect ECONNREFUSED" }));
    await waitFor(() => expect(within(dialog).getByRole("alert")).toHaveTextContent(/^Could not revoke the tokens at Slack: the provider could not be reached/));
    expect(within(dialog).getByText("connect ECONNREFUSED")).toBeInTheDocument();
    expect(dialog).toHaveAccessibleDescription(/The tokens are still stored\. Forget them anyway/);
    // The harmless choice has focus after a refusal.
    await waitFor(() => expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus());
    expect(ondisconnected).not.toHaveBeenCalled();

    await fireEvent.click(within(dialog).getByRole("button", { name: "Forget anyway" }));
    expect(mutation).toHaveBeenLastCalledWith(expect.anything(), { id: "int-1", forget: true });
    expect(within(dialog).getByRole("button", { name: "Forgetting…" })).toBeDisabled();
    pending[1]!.resolve(outcome({ revoked: false }));
    await waitFor(() =>
      expect(ondisconnected).toHaveBeenCalledWith("Disconnected Slack: the tokens were deleted here. Revoke Switchboard's access in your Slack account too."),
    );
  });

  it("an API error stays in the dialog, with Disconnect ready to try again", async () => {
    const { open, pending, ondisconnected } = renderDialog();
    const dialog = open();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    pending[0]!.resolve({ data: null, error: { graphQLErrors: [{ message: "Only workspace owners and admins can disconnect." }], message: "x" } });
    await waitFor(() => expect(within(dialog).getByRole("alert")).toHaveTextContent("Could not disconnect Slack: Only workspace owners and admins can disconnect."));
    await waitFor(() => expect(within(dialog).getByRole("button", { name: "Disconnect" })).toHaveFocus());
    expect(ondisconnected).not.toHaveBeenCalled();
  });

  it("opening again starts clean", async () => {
    const { open, pending } = renderDialog();
    let dialog = open();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    pending[0]!.resolve(outcome({ disconnected: false, revoked: false, revocationError: "timeout", revocationMessage: null }));
    await waitFor(() => expect(within(dialog).getByRole("button", { name: "Forget anyway" })).toBeInTheDocument());
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    dialog = open();
    expect(within(dialog).queryByRole("alert")).toBeNull();
    expect(within(dialog).getByRole("button", { name: "Disconnect" })).toBeEnabled();
  });

  it("one of several connections: names it in the question's text and in what it tells the card", async () => {
    const { open, pending, ondisconnected } = renderDialog("Globex Sandbox");
    const dialog = open();
    expect(dialog).toHaveAccessibleDescription("Switchboard asks Slack to revoke the tokens of Globex Sandbox, then deletes them. The health history stays.");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    pending[0]!.resolve(outcome({}));
    await waitFor(() => expect(ondisconnected).toHaveBeenCalledWith("Disconnected Globex Sandbox (Slack): the tokens were revoked and deleted."));
  });
});
