// The page's state: the store (pure, mutated in place by each message) and a few signals that say
// what changed. Views subscribe to the signals they show; nothing here touches the DOM.
import type { LinkState } from "./connection";
import { EMPTY_BOOK, type AlertBook } from "./alert-book";
import { DEFAULT_STALE_MS } from "./levels";
import type { CustomPanel } from "./chart-layout";
import { Signal, Version } from "./signal";
import { DEFAULT_FILTER, type Filter } from "./status-filter";
import { Store } from "./store";

export type Theme = "system" | "light" | "dark";

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
  /** The charts' time range, seconds (the span ending now). */
  readonly range = new Signal(300);
  /** The chart panels the user added (kept in localStorage by ui/custom-charts.ts). */
  readonly customCharts = new Signal<readonly CustomPanel[]>([]);
  /** A fixed window [from, to] (Unix seconds: a custom range, a zoom or a pan), else none: the range ending now. */
  readonly zoom = new Signal<readonly [number, number] | undefined>(undefined);
  /** Whole seconds of the page clock: ages and staleness move with it. */
  readonly clock: Signal<number>;
  /** A status not updated for this long is STALE (the bridge's `stale_seconds`, else 5 s). */
  readonly staleMs = new Signal(DEFAULT_STALE_MS);
  /** Light or dark: the system's (prefers-color-scheme), or the user's choice (ui/theme.ts). */
  readonly theme = new Signal<Theme>("system");
  /** Acknowledgements and mutes, as the bridge keeps them. */
  readonly alertBook = new Signal<AlertBook>(EMPTY_BOOK);
  /** The outcome of the last alert action ("" when it succeeded). */
  readonly actionResult = new Signal("");
  /** What the bridge offers (hello.capabilities of a version-2 bridge; none from version 1). */
  readonly capabilities = new Signal<readonly string[]>([]);
  /** Store keys of the statuses whose row is open, their values shown (capability "interest"). */
  readonly openStatuses = new Signal<ReadonlySet<string>>(new Set());
  /** The status list's search, level filter, sort and view (kept in the URL). */
  readonly filter = new Signal<Filter>(DEFAULT_FILTER);

  constructor(readonly now: () => number = () => Date.now()) {
    this.link = new Signal<LinkInfo>({ state: "disconnected", detail: "", sinceMs: now() });
    this.clock = new Signal(Math.floor(now() / 1000));
  }

  private everLive = false;

  /** True when the link is not live after having been (there is data, and it is not current). */
  linkDown(): boolean {
    return this.everLive && this.link.value.state !== "live";
  }

  setLink(state: LinkState, detail: string): void {
    const cur = this.link.value;
    if (state === "live") this.everLive = true;
    if (cur.state === state && cur.detail === detail) return;
    // "since" is when the link last changed state, not when its reason text changed.
    this.link.set({ state, detail, sinceMs: cur.state === state ? cur.sinceMs : this.now() });
  }
}
