// The page: state, the views mounted into index.html's slots, and the message handler. Owns
// nothing but their lifetimes: dispose() leaves no listener, timer, observer or view DOM behind.
import { chartWindow, tableInView } from "./chart-window";
import type { LinkState } from "./connection";
import { toCsv } from "./csv";
import { followMachines } from "./machines";
import { chartSpecs, newestTime } from "./metrics";
import { historyCsvUrl } from "./range-data";
import { PageState } from "./page-state";
import { classify, type Classified } from "./protocol";
import { ParseQueue, type WorkerLike } from "./parse-queue";
import type { StatusNumbers } from "./prepare";
import type { Store } from "./store";
import type { Timings } from "./timings";
import { bookFromMessage } from "./alert-book";
import type { Alert } from "./alerts";
import { DEFAULT_STALE_MS } from "./levels";
import { RequestClient } from "./requests";
import { InterestSender, interestOf, type InterestKey } from "./interest";
import { LevelParts, type LevelLog } from "./level-log";
import { BannerView, type AlertActions } from "./ui/banner";
import { CardsView } from "./ui/cards";
import { ChartsView } from "./ui/charts";
import { CustomChartsView } from "./ui/custom-charts";
import { ControlsView } from "./ui/controls";
import { CountersView } from "./ui/counters";
import { EmptyState } from "./ui/empty-state";
import { FrameScheduler, type SlowFrame } from "./ui/frame";
import { LinkNotice } from "./ui/link-notice";
import { LinkView, type LinkAction } from "./ui/link-view";
import { ProcessesView } from "./ui/processes";
import { Scope, type Disposable } from "./ui/scope";
import { StatusPanel } from "./ui/status-panel";
import { ThemeSwitch } from "./ui/theme";
import { NotifySettings } from "./ui/notify-settings";
import { TitleView } from "./ui/title";
import { UrlSync } from "./ui/url-sync";

export interface Stats {
  state: LinkState;
  detail: string;
  counters: Store["counters"];
  statuses: number;
  machine: string;
  chartPoints: Record<string, number>;
  apply: ReturnType<Timings["summary"]>;
  redraw: ReturnType<Timings["summary"]>;
  frame: ReturnType<Timings["summary"]>;
  /** Per frame with the browser's style, layout and paint after the script (FrameScheduler.renderedTimings). */
  rendered: ReturnType<Timings["summary"]>;
  applyMs: number[];
  redrawMs: number[];
  frameMs: number[];
  renderedMs: number[];
  sections: Record<string, ReturnType<Timings["summary"]>>;
  /** The slowest recent frames, part by part (FrameScheduler.slowFrames). */
  slowFrames: SlowFrame[];
  /** Capability "interest": the statuses whose values the bridge last agreed to send (undefined: every value). */
  interest: InterestKey[] | undefined;
}

function slot(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page slot #${id} missing`);
  return el;
}

/** What the page needs from outside: the link's actions, and where requests go. */
export interface PageEnv {
  onLinkAction(action: LinkAction): void;
  /** Sends one text on the DataChannel; false when it is not open. */
  send(text: string): boolean;
  /** The page's ?token= (alert requests carry it where the bridge has one). */
  token: string | null;
  now?: () => number;
  /** The parse worker (parse-worker.ts); none: every message is parsed on the page's thread. */
  parseWorker?: () => WorkerLike;
}

const OPERATOR_KEY = "chedweb.operator";

export class Page implements Disposable {
  readonly state: PageState;
  readonly frame = new FrameScheduler();
  readonly requests: RequestClient;
  private readonly levelParts = new LevelParts();
  private readonly scope = new Scope();
  private readonly charts: ChartsView;
  private readonly parser: ParseQueue;
  private readonly interest: InterestSender;
  /** The snapshot is in: the interest is declared from now on. */
  private readonly declareInterest: () => void;

  constructor(private readonly env: PageEnv) {
    const now = env.now ?? (() => Date.now());
    const state = (this.state = new PageState(now));
    this.requests = new RequestClient(env.send);
    const frame = this.frame;
    const s = this.scope;
    s.add(() => frame.dispose());
    this.parser = new ParseQueue((c, numbers) => this.apply(c, numbers), env.parseWorker);
    s.add(() => this.parser.dispose());
    s.add(followMachines(state));
    // A request in flight when the link drops gets no reply.
    s.watch(state.link, (l) => {
      if (l.state !== "live") this.requests.failAll(`link ${l.state}`);
    });
    // Capability "interest": the bridge sends this page values only for what it shows.
    this.interest = new InterestSender({
      send: async (statuses) => (await this.requests.request({ type: "interest", statuses })).ok,
      now,
      later: (fn, ms) => s.timeout(fn, ms),
    });
    let structure = -1;
    const declare = (force = false) => {
      const { store } = state;
      if (!force && store.structureVersion === structure) return;
      structure = store.structureVersion;
      this.interest.update(interestOf(store, state.machine.value, state.openStatuses.value, state.customCharts.value));
    };
    this.declareInterest = () => {
      declare(true);
      this.interest.enable();
    };
    s.onAny([state.machine, state.openStatuses, state.customCharts], () => declare(true));
    s.watch(state.data, () => declare());
    const topbar = slot("topbar");
    const notifier = new NotifySettings(slot("controls"));
    // Views in page order (the frame renders them in this order).
    const views: Disposable[] = [
      new UrlSync(state),
      new LinkView(topbar, state, frame, env.onLinkAction),
      new ThemeSwitch(topbar, state, frame),
      new LinkNotice(slot("banner-slot"), state, frame),
      new BannerView(slot("banner-slot"), state, frame, this.alertActions()),
      notifier,
      new TitleView(state, frame, notifier),
      new EmptyState(slot("empty-slot"), state, frame),
      new ControlsView(slot("controls"), state, frame, () => this.downloadCsv()),
      new CardsView(slot("cards"), state, frame),
      (this.charts = new ChartsView(slot("charts"), state, frame, this.requests)),
      new CustomChartsView(slot("charts"), state, frame, this.requests),
      new ProcessesView(slot("processes-panel"), state, frame),
      new StatusPanel(
        slot("status-panel"),
        state,
        frame,
        (hardwareId, name, from, to) => this.levelLog(hardwareId, name, from, to),
        (hardwareId, name, from, to) => historyCsvUrl(window.location.href, hardwareId, from, to, this.env.token, name),
      ),
      new CountersView(slot("counters"), state, frame),
    ];
    for (const v of views) s.add(() => v.dispose());
    // Ages and staleness move with the clock even when no message arrives.
    s.interval(() => state.clock.set(Math.floor(now() / 1000)), 1000);
  }

  /** Validates and applies one message on this thread, at once (the hook's feed). Never throws. */
  handleMessage(data: unknown): void {
    const t0 = performance.now();
    this.apply(classify(data), undefined, t0);
  }

  /**
   * The DataChannel's message handler: large messages are parsed and validated in the parse
   * worker (parse-queue.ts) and applied when it answers, every message in arrival order.
   */
  receive(data: unknown): void {
    this.parser.push(data);
  }

  /** Messages handed to the parse worker and not applied yet. */
  parsing(): number {
    return this.parser.waiting;
  }

  /** Applies a classified message and tells the views. */
  private apply(c: Classified, numbers: StatusNumbers | undefined, t0 = performance.now()): void {
    const { store } = this.state;
    const now = this.state.now();
    let interestReady = false;
    if (c.kind === "unknown") store.countUnknown(c.type);
    else if (c.kind === "malformed") store.countMalformed(c.reason);
    else {
      store.countRejected(c.rejected, c.reason);
      const msg = c.msg;
      switch (msg.type) {
        case "hello":
          this.interest.reset();
          store.applyHello(msg);
          this.state.capabilities.set(msg.capabilities ?? []);
          this.state.staleMs.set(msg.stale_seconds !== undefined ? msg.stale_seconds * 1000 : DEFAULT_STALE_MS);
          break;
        case "snapshot":
          // Once the page holds the snapshot it knows what it shows: then its interest is declared
          // (until then the bridge sends every value, as to a page without the capability).
          if (store.applySnapshotPart(msg, now) && this.state.capabilities.value.includes("interest")) interestReady = true;
          this.state.data.bump();
          break;
        case "diagnostics":
          store.applyDiagnostics(msg, now, numbers);
          this.state.data.bump();
          break;
        case "alert_state":
          this.state.alertBook.set(bookFromMessage(msg, now));
          break;
        case "interest_ok":
          store.applyLatest(msg.latest);
          this.state.data.bump();
          this.requests.reply(msg.id, { ok: true, message: "" });
          break;
        case "alert_ok":
          this.requests.reply(msg.id, { ok: true, message: "" });
          break;
        case "error":
          this.requests.reply(msg.id, { ok: false, message: msg.message });
          break;
        case "levels": {
          const log = this.levelParts.accept(msg);
          if (log !== undefined) this.requests.reply(msg.id, { ok: true, message: "", data: log });
          break;
        }
        case "range":
          this.requests.rangePart(msg);
          break;
      }
    }
    this.state.messages.bump();
    // After `messages`: the machine to show is chosen from the snapshot then (followMachines), and
    // the first interest must name its statuses.
    if (interestReady) this.declareInterest();
    this.frame.noteApply(performance.now() - t0);
  }

  stats(): Stats {
    const { frame, state } = this;
    const link = state.link.value;
    return {
      state: link.state,
      detail: link.detail,
      counters: { ...state.store.counters },
      statuses: state.store.entries.size,
      machine: state.machine.value,
      chartPoints: this.charts.points(),
      apply: frame.applyTimings.summary(),
      redraw: frame.redrawTimings.summary(),
      frame: frame.frameTimings.summary(),
      rendered: frame.renderedTimings.summary(),
      applyMs: frame.applyTimings.values(),
      redrawMs: frame.redrawTimings.values(),
      frameMs: frame.frameTimings.values(),
      renderedMs: frame.renderedTimings.values(),
      sections: Object.fromEntries([...frame.sections].map(([k, t]) => [k, t.summary()])),
      slowFrames: frame.slowFrames,
      interest: this.interest.takenStatuses,
    };
  }

  /** CSV of the charted history in view for the selected machine. */
  csv(): string {
    const { store, machine, range } = this.state;
    const specs = chartSpecs(store, machine.value);
    const w = chartWindow(store, machine.value, range.value, specs);
    return toCsv(specs.map((spec) => tableInView(spec.series, w)));
  }

  dispose(): void {
    this.scope.dispose();
  }

  /** A status's level transitions over [from, to] (Unix seconds), from the bridge's store. */
  async levelLog(hardwareId: string, name: string, from: number, to: number): Promise<LevelLog | string> {
    const reply = await this.requests.request({ type: "levels", hardware_id: hardwareId, name, from, to });
    return reply.ok ? (reply.data as LevelLog) : reply.message;
  }

  /** Acknowledge and mute go to the bridge, which keeps them for every browser. */
  alertActions(): AlertActions {
    const send = async (body: Record<string, unknown>) => {
      const by = this.operator();
      if (by === undefined) return;
      const token = this.env.token;
      const reply = await this.requests.request({ ...body, by, ...(token !== null ? { token } : {}) });
      this.state.actionResult.set(reply.ok ? "" : `not done: ${reply.message}`);
    };
    return {
      acknowledge: (a: Alert) => void send({ type: "alert_ack", key: a.key, level: a.level }),
      mute: (a: Alert, seconds: number) => void send({ type: "alert_mute", key: a.key, seconds }),
      unmute: (a: Alert) => void send({ type: "alert_unmute", key: a.key }),
    };
  }

  /** Who acknowledges: a name asked once and remembered (the bridge records it with each action). */
  private operator(): string | undefined {
    let name: string | null = null;
    try {
      name = localStorage.getItem(OPERATOR_KEY);
    } catch {
      // No storage: ask every time.
    }
    if (!name) {
      name = window.prompt("Your name, recorded with acknowledgements and mutes:")?.trim().slice(0, 64) ?? null;
      if (!name) return undefined;
      try {
        localStorage.setItem(OPERATOR_KEY, name);
      } catch {
        // Asked again next time.
      }
    }
    return name;
  }

  /** The window the charts show: a fixed one (custom, zoom, pan), else the range ending at the newest sample. */
  private windowInView(): [number, number] {
    const { store, machine, range, zoom } = this.state;
    if (zoom.value !== undefined) return [zoom.value[0], zoom.value[1]];
    const newest = newestTime(store, machine.value);
    const to = Number.isFinite(newest) ? newest : this.state.now() / 1000;
    return [to - range.value, to];
  }

  /**
   * A bridge with a durable history (capability `query`) exports the window in view from its store
   * (GET /history.csv: every status and key of the machine); an older one, the charted series the
   * page holds.
   */
  private downloadCsv(): void {
    if (this.state.capabilities.value.includes("query") && this.state.machine.value !== "") {
      const [from, to] = this.windowInView();
      const a = document.createElement("a");
      a.href = historyCsvUrl(window.location.href, this.state.machine.value, from, to, this.env.token);
      a.download = "";
      a.dataset["testid"] = "csv-link";
      document.body.append(a);
      a.click();
      a.remove();
      return;
    }
    const blob = new Blob([this.csv()], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
    a.download = `chedweb-${this.state.machine.value || "history"}-${stamp}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
