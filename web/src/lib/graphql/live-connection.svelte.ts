/**
 * The state of the browser's live link to the API (the graphql-ws socket), for the
 * "Reconnecting to the server…" banner and for pages that must refetch once the link is back:
 * events sent while the socket was down are lost, so the data on screen may be stale.
 */
export class LiveConnection {
  /** True from an abnormal close until the socket is connected again. */
  offline = $state(false);
  #listeners = new Set<() => void>();

  connected(): void {
    const wasOffline = this.offline;
    this.offline = false;
    if (wasOffline) for (const listener of this.#listeners) listener();
  }

  /** 1000 is graphql-ws closing an idle lazy socket (no subscription left), not an outage. */
  closed(code: number | undefined): void {
    if (code !== 1000) this.offline = true;
  }

  /** Runs `listener` each time the socket comes back after an outage; returns the unsubscribe. */
  onReconnect(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export const liveConnection = new LiveConnection();
