// Optional system notifications for health transitions, for a dashboard left open in a
// background tab. Asked for only when the person presses "Enable notifications" (browsers
// ignore or penalise a permission prompt nobody asked for); shown only while the tab is hidden,
// since a visible tab already shows the toast.

export type NotificationState = "unsupported" | "default" | "denied" | "granted";

const OFF_KEY = "switchboard.notifications";

class BrowserNotifications {
  /** The browser's permission, or "unsupported"; read on mount (there is no window during SSR). */
  permission = $state<NotificationState>("unsupported");
  /** Granted, and not turned off here since (a page cannot withdraw a permission, only stop using it). */
  enabled = $state(false);

  init(): void {
    if (typeof window === "undefined" || !("Notification" in window)) return;
    this.permission = Notification.permission;
    this.enabled = this.permission === "granted" && localStorage.getItem(OFF_KEY) !== "off";
  }

  async enable(): Promise<void> {
    if (!("Notification" in window)) return;
    this.permission = await Notification.requestPermission();
    localStorage.removeItem(OFF_KEY);
    this.enabled = this.permission === "granted";
  }

  disable(): void {
    localStorage.setItem(OFF_KEY, "off");
    this.enabled = false;
  }

  /** `tag`: one notification per connection; a newer transition replaces the older one. */
  notify(title: string, body: string, tag: string): void {
    if (!this.enabled || document.visibilityState !== "hidden") return;
    const notification = new Notification(title, { body, tag, icon: "/favicon.svg" });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  }
}

export const browserNotifications = new BrowserNotifications();
