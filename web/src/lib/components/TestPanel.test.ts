import "@testing-library/jest-dom/vitest";
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import TestPanel from "./TestPanel.svelte";
import type { TestResult } from "$lib/graphql/types";

// The card's test-result panel on its own: nothing while idle, the steps while running, and a
// Close once there is a result or an error.

const result: TestResult = {
  status: "UNHEALTHY",
  steps: [
    { step: "token", ok: true, latencyMs: 2, code: null, message: null },
    { step: "api", ok: false, latencyMs: 80, code: "PROVIDER_ERROR", message: "Slack answered 500" },
  ],
  errorCode: "PROVIDER_ERROR",
  message: "Slack answered 500",
  latencyMs: 82,
  checkedAt: "2026-03-04T10:00:00.000Z",
  // Not read by the panel.
  integration: null as unknown as TestResult["integration"],
};

function renderPanel(props: Partial<{ running: boolean; result: TestResult | null; error: string | null }> = {}) {
  const onclose = vi.fn();
  const rendered = render(TestPanel, { props: { running: false, result: null, error: null, onclose, ...props } });
  return { ...rendered, onclose };
}

describe("TestPanel", () => {
  it("idle: an empty live region that takes no room", () => {
    const { container } = renderPanel();
    const panel = container.querySelector(".test-panel")!;
    expect(panel).toHaveAttribute("aria-live", "polite");
    expect(panel).not.toHaveClass("test-panel-open");
    expect(panel).toHaveTextContent(/^$/);
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("running: the layers wait, and there is nothing to close yet", () => {
    renderPanel({ running: true });
    expect(screen.getByText("Running the check…")).toBeInTheDocument();
    expect(screen.getAllByText("waiting")).toHaveLength(4);
    expect(screen.queryByRole("button", { name: "Close" })).toBeNull();
  });

  it("a result: its steps, then the summary, and Close calls back", async () => {
    const { onclose } = renderPanel({ result });
    await waitFor(() => expect(screen.getByText(/Test result: Unhealthy, 82 ms/)).toBeInTheDocument());
    expect(screen.getByText("API call").closest("li")).toHaveTextContent(/failed/);
    const close = screen.getByRole("button", { name: "Close" });
    expect(close).toHaveAttribute("title", "Close the test result");
    await fireEvent.click(close);
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("an error: an alert, and Close", async () => {
    const { onclose } = renderPanel({ error: "Could not test the connection: Not allowed." });
    expect(screen.getByRole("alert")).toHaveTextContent("Could not test the connection: Not allowed.");
    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
