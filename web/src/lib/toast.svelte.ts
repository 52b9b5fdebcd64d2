// A small toast queue. Not svelte-sonner: its region is an `aria-live` <section> with a live
// region per toast, while Switchboard's public contract names a `role="status"` message, and
// nested live regions make screen readers announce twice. This one is a single status region.

export type ToastTone = "success" | "error" | "info";
export type Toast = { id: number; tone: ToastTone; text: string };

// Long enough to read twice (WCAG 2.2.1 asks for time or control: hovering or focusing a toast
// holds it, and errors stay until dismissed).
const SUCCESS_MS = 10_000;
// A burst (a provider-wide outage turns every card at once) must not fill the screen: the
// oldest leave first. Pages that announce per connection replace their own toast instead.
const MAX_SHOWN = 4;

class Toasts {
  items = $state<Toast[]>([]);
  /** The toast stack's height in px (Toaster measures it); the layout pads its content by it. */
  height = $state(0);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();
  #held = false;

  show(tone: ToastTone, text: string): number {
    const id = this.#nextId++;
    this.items = [...this.items, { id, tone, text }];
    if (tone !== "error") this.#arm(id);
    while (this.items.length > MAX_SHOWN) this.dismiss(this.items[0]!.id);
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  /** Pointer or focus inside the region: nothing leaves until it goes. */
  hold(held: boolean): void {
    this.#held = held;
    if (held) {
      for (const timer of this.#timers.values()) clearTimeout(timer);
      this.#timers.clear();
    } else {
      for (const toast of this.items) if (toast.tone !== "error") this.#arm(toast.id);
    }
  }

  #arm(id: number): void {
    if (this.#held) return;
    clearTimeout(this.#timers.get(id));
    this.#timers.set(id, setTimeout(() => this.dismiss(id), SUCCESS_MS));
  }
}

export const toasts = new Toasts();
