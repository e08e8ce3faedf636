// The page's state: the store (pure, mutated in place by each message) and a few signals that say
// what changed. Views subscribe to the signals they show; nothing here touches the DOM.
import type { LinkState } from "./connection";
import { Signal, Version } from "./signal";
import { Store } from "./store";

export interface LinkInfo {
  state: LinkState;
  detail: string;
  /** Page clock (ms) when the link entered this state ("link down since ..."). */
  sinceMs: number;
}

export class PageState {
  readonly store = new Store();
  /** Bumped when statuses changed (a snapshot merged, a diagnostics message applied). */
  readonly data = new Version();
  /** Bumped on every message, valid or not (counters, hello). */
  readonly messages = new Version();
  readonly link: Signal<LinkInfo>;
  /** hardware_ids that publish system_metrics statuses, sorted (see followMachines). */
  readonly machines = new Signal<readonly string[]>([]);
  /** The machine whose cards and charts are shown. */
  readonly machine = new Signal("");
  /** The charts' time range, seconds. */
  readonly range = new Signal(300);
  /** Whole seconds of the page clock: ages and staleness move with it. */
  readonly clock: Signal<number>;

  constructor(readonly now: () => number = () => Date.now()) {
    this.link = new Signal<LinkInfo>({ state: "disconnected", detail: "", sinceMs: now() });
    this.clock = new Signal(Math.floor(now() / 1000));
  }

  setLink(state: LinkState, detail: string): void {
    const cur = this.link.value;
    if (cur.state === state && cur.detail === detail) return;
    // "since" is when the link last changed state, not when its reason text changed.
    this.link.set({ state, detail, sinceMs: cur.state === state ? cur.sinceMs : this.now() });
  }
}
