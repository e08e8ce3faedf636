// Charts drawn from the bridge's durable history (capability `query`), shared by the machine's
// charts and the panels the user adds: per chart, the answer for the window it shows, asked again
// when the window changes or the live edge has grown, and drawn with the live samples after it.
import { joinSeries, newestTime, type SeriesSpec } from "../metrics";
import type { PageState } from "../page-state";
import { appendLive, queryBody, rangeRows, type RangeResult } from "../range-data";
import type { RequestClient } from "../requests";
import type { StatusEntry } from "../store";
import type { ChartView } from "./chart";

/** The answers a chart draws: per status (hardware_id NUL name), for the window it asked. */
interface Fetched {
  key: string;
  to: number;
  results: Map<string, RangeResult>;
}

const statusKey = (e: StatusEntry) => `${e.hardwareId}\u0000${e.name}`;

/** After every query of a window failed (rate limit, link down), wait this long before asking again. */
const RETRY_MS = 5000;

export class RangeFetcher {
  private readonly fetched = new Map<string, Fetched>();
  private readonly inFlight = new Map<string, string>();
  private readonly failedAt = new Map<string, number>();
  private disposed = false;

  /** `answered(id)`: chart `id` has a new answer to draw. */
  constructor(
    private readonly state: PageState,
    private readonly requests: RequestClient,
    private readonly answered: (id: string) => void,
  ) {}

  dispose(): void {
    this.disposed = true;
  }

  /** Forgets a chart (a panel removed). */
  forget(id: string): void {
    this.fetched.delete(id);
    this.inFlight.delete(id);
    this.failedAt.delete(id);
  }

  /**
   * Draws chart `id`: the window asked at the chart's width (min/avg/max per point), then the live
   * samples newer than the answer (the recent edge). A fixed window (custom range, zoom, pan) has
   * no live edge. The answer is asked again when the window changes, or when the live edge has
   * grown past a twentieth of the range.
   */
  draw(id: string, series: SeriesSpec[], view: ChartView, machine = this.state.machine.value): void {
    const { range, zoom, store } = this.state;
    const newest = newestTime(store, machine);
    const now = Number.isFinite(newest) ? newest : this.state.now() / 1000;
    const fixed = zoom.value;
    const [from, to] = fixed ?? [now - range.value, now];
    const entries = [...new Map(series.map((s) => [statusKey(s.entry), s.entry])).values()];
    const key = [machine, fixed ? `${fixed[0]}-${fixed[1]}` : range.value, ...series.map((s) => `${statusKey(s.entry)}\u0000${s.key}`)].join("|");
    const have = this.fetched.get(id);
    const fresh = have !== undefined && have.key === key && (fixed !== undefined || now - have.to < Math.max(5, range.value / 20));
    const failed = this.failedAt.get(id);
    const waiting = failed !== undefined && performance.now() - failed < RETRY_MS;
    if (!fresh && !waiting && this.inFlight.get(id) !== key) this.ask(id, key, series, entries, from, to, view.areaWidth);
    const shown = have !== undefined && have.key === key ? have : undefined;
    const labels = series.map((s) => s.label);
    // The live samples held in the window: what the chart shows until the answer comes, and what
    // its `points` count (samples in view) says.
    const table = joinSeries(series, from);
    if (shown === undefined) {
      view.update(table, from, to);
      return;
    }
    let rows = rangeRows(series.map((s) => ({ result: shown.results.get(statusKey(s.entry)), key: s.key })));
    if (fixed === undefined) {
      const live = joinSeries(series, shown.to);
      rows = appendLive(rows, live.t, live.columns);
    }
    view.draw(labels, rows, from, to, table.t.length, "query");
  }

  private ask(id: string, key: string, series: SeriesSpec[], entries: StatusEntry[], from: number, to: number, width: number): void {
    this.inFlight.set(id, key);
    const asks = entries.map((e) => {
      const keys = series.filter((s) => s.entry === e).map((s) => s.key);
      return this.requests.query(queryBody(e.hardwareId, e.name, from, to, width, keys)).then((r) => [statusKey(e), r] as const);
    });
    void Promise.all(asks).then((replies) => {
      if (this.disposed || this.inFlight.get(id) !== key) return;
      this.inFlight.delete(id);
      const results = new Map<string, RangeResult>();
      for (const [k, r] of replies) if (r.ok) results.set(k, r.result);
      // All failed: keep what was shown, ask again after a while.
      if (results.size === 0 && replies.length > 0) {
        this.failedAt.set(id, performance.now());
        return;
      }
      this.failedAt.delete(id);
      this.fetched.set(id, { key, to, results });
      this.answered(id);
    });
  }
}
