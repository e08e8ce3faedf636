import { describe, expect, it, vi } from "vitest";
import { Signal } from "../src/signal";
import { Scope } from "../src/ui/scope";

describe("Scope", () => {
  it("releases listeners, subscriptions and timers on dispose, in reverse order", () => {
    vi.useFakeTimers();
    try {
      const scope = new Scope();
      const order: string[] = [];
      const target = new EventTarget();
      let events = 0;
      scope.on(target, "x", () => (events += 1));
      const signal = new Signal(0);
      scope.watch(signal, () => undefined);
      let ticks = 0;
      scope.interval(() => (ticks += 1), 100);
      let fired = false;
      scope.timeout(() => (fired = true), 1000);
      scope.add(() => order.push("first"));
      scope.add(() => order.push("second"));
      target.dispatchEvent(new Event("x"));
      vi.advanceTimersByTime(250);
      expect(ticks).toBe(2);
      scope.dispose();
      target.dispatchEvent(new Event("x"));
      vi.advanceTimersByTime(2000);
      expect(events).toBe(1);
      expect(ticks).toBe(2);
      expect(fired).toBe(false);
      expect(signal.subscribers).toBe(0);
      expect(order).toEqual(["second", "first"]);
      // Idempotent; and anything added afterwards is released at once.
      scope.dispose();
      let late = false;
      scope.add(() => (late = true));
      expect(late).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
