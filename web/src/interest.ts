// Capability "interest" (docs/protocol.md, "Interest"): which statuses' values the page shows, and
// when to tell the bridge, which then leaves the other statuses' values out of this page's live
// messages (one packet a message instead of five at 50 statuses x 20 keys). Pure: the clock, the
// timer and the send are given.
import type { CustomPanel } from "./chart-layout";
import { machineStatuses } from "./metrics";
import { MAX_INTEREST_STATUSES } from "./protocol";
import type { Store } from "./store";

export interface InterestKey {
  hardware_id: string;
  name: string;
}

/**
 * The statuses whose values the page shows, sorted and without repeats: the selected machine's
 * system_metrics statuses (its cards, its four charts and its process list read them:
 * metrics.ts), the statuses whose row is open (`open`: store keys; the detail lists every value),
 * and those the custom chart panels chart. Nothing else reads a status's values: the table,
 * tree, search (name, message, hardware_id), alerts and the fleet page read levels, messages and
 * ages only. At most MAX_INTEREST_STATUSES (the bridge refuses more): the machine's first, then
 * open rows, then panels.
 */
export function interestOf(store: Store, machine: string, open: Iterable<string>, panels: readonly CustomPanel[]): InterestKey[] {
  const out = new Map<string, InterestKey>();
  const add = (hardwareId: string, name: string) => {
    const k = `${hardwareId}\u0000${name}`;
    if (!out.has(k) && out.size < MAX_INTEREST_STATUSES) out.set(k, { hardware_id: hardwareId, name });
  };
  if (machine !== "") for (const e of Object.values(machineStatuses(store, machine))) add(e.hardwareId, e.name);
  for (const key of open) {
    const e = store.entries.get(key);
    if (e !== undefined) add(e.hardwareId, e.name);
  }
  for (const panel of panels) for (const s of panel.series) add(s.hardwareId, s.name);
  return [...out.values()].sort((a, b) => a.hardware_id.localeCompare(b.hardware_id) || a.name.localeCompare(b.name));
}

/**
 * At most one `interest` request this often. Requests share the bridge's per-peer limit (10 at
 * once, then 5 a second) with acknowledgements, mutes and queries: one a second leaves an
 * operator's Acknowledge always room, however fast rows are opened and closed.
 */
export const INTEREST_INTERVAL_MS = 1000;

export interface InterestEnv {
  /** Sends the request; resolves true once the bridge took it. */
  send(statuses: InterestKey[]): Promise<boolean>;
  now(): number;
  /** Runs `fn` after `ms` (the page's scope, so a disposed page leaves no timer). */
  later(fn: () => void, ms: number): void;
}

/**
 * Sends the page's interest when it differs from what the bridge last took on this link: at once
 * when nothing was sent for INTEREST_INTERVAL_MS, else once that much time has passed (changes
 * meanwhile are merged into that one request). A request the bridge did not take (link down,
 * refused) is sent again at the next change or after the interval.
 */
export class InterestSender {
  private wanted: InterestKey[] | undefined;
  private wantedSig = "";
  /** What the bridge took (undefined: nothing on this link yet, so it sends every value). */
  private taken: string | undefined;
  private inFlight: string | undefined;
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private timerSet = false;
  private enabled = false;
  /** The statuses the bridge took last on this link (undefined: none yet); for window.chedweb.stats(). */
  takenStatuses: InterestKey[] | undefined;

  constructor(private readonly env: InterestEnv) {}

  /** A new link (a `hello`): the bridge knows no interest of this page. Nothing is sent until `enable`. */
  reset(): void {
    this.taken = undefined;
    this.takenStatuses = undefined;
    this.inFlight = undefined;
    this.enabled = false;
  }

  /** The bridge offers the capability and the page holds what it shows (its snapshot): start. */
  enable(): void {
    this.enabled = true;
    this.flush();
  }

  /** The page's current interest (sent if it changed). */
  update(statuses: InterestKey[]): void {
    this.wanted = statuses;
    this.wantedSig = statuses.map((s) => `${s.hardware_id}\u0000${s.name}`).join("\u0001");
    this.flush();
  }

  private flush(): void {
    if (!this.enabled || this.wanted === undefined) return;
    if (this.wantedSig === this.taken || this.wantedSig === this.inFlight) return;
    const wait = this.lastSentMs + INTEREST_INTERVAL_MS - this.env.now();
    if (wait > 0) {
      if (!this.timerSet) {
        this.timerSet = true;
        this.env.later(() => {
          this.timerSet = false;
          this.flush();
        }, wait);
      }
      return;
    }
    const sig = this.wantedSig;
    const statuses = this.wanted;
    this.inFlight = sig;
    this.lastSentMs = this.env.now();
    void this.env.send(statuses).then((ok) => {
      if (this.inFlight !== sig) return; // reset meanwhile (a new link)
      this.inFlight = undefined;
      if (ok) {
        this.taken = sig;
        this.takenStatuses = statuses;
      }
      this.flush();
    });
  }
}
