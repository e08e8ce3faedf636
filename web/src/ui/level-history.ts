// One status's level history in its detail pane (protocol v2 capability "levels"): a timeline
// strip of its levels over the charts' range, and the log of its level transitions (time, old
// level, new level, message), which can be exported as CSV. Read from the bridge's store when
// the pane opens, and again on "Reload".
import { formatClock, levelClass, levelName } from "../format";
import { levelLogCsv, segments, stripSummary, type LevelLog } from "../level-log";
import { h, setText } from "./dom";
import { Scope, type Disposable, type Subscribable } from "./scope";

/** Asks the bridge for a status's transitions over [from, to] (Unix seconds); a string: why not. */
export type LevelSource = (hardwareId: string, name: string, from: number, to: number) => Promise<LevelLog | string>;

export class LevelHistory implements Disposable {
  private readonly scope = new Scope();
  private readonly note = h("span", { class: "level-history-note", "data-testid": "level-history-note", role: "status" });
  private readonly body = h("div");
  private disposed = false;
  private log: LevelLog | undefined;

  constructor(
    host: HTMLElement,
    private readonly hardwareId: string,
    private readonly name: string,
    private readonly source: LevelSource,
    /** The selected range [from, to], Unix seconds (the charts' window). */
    private readonly window: () => readonly [number, number],
    private readonly nowMs: () => number,
    /** Changes of the selected range: the history is read again. */
    rangeChanged: Subscribable[] = [],
  ) {
    this.scope.onAny(rangeChanged, () => void this.load());
    const reload = h("button", { type: "button", "data-testid": "level-history-reload" }, "Reload");
    this.scope.on(reload, "click", () => void this.load());
    this.scope.mount(
      host,
      h("section", { class: "level-history", "data-testid": "level-history", "aria-label": `Level history of ${name}` }, h("h3", {}, "Level history"), reload, this.note, this.body),
    );
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
    this.scope.dispose();
  }

  private async load(): Promise<void> {
    const [from, to] = this.window();
    setText(this.note, "loading…");
    const answer = await this.source(this.hardwareId, this.name, from, to);
    if (this.disposed) return;
    if (typeof answer === "string") {
      setText(this.note, `level history not available: ${answer}`);
      return;
    }
    this.log = answer;
    setText(this.note, answer.truncated ? "only the oldest 1,000 transitions of this range are shown" : "");
    this.render(answer);
  }

  private render(log: LevelLog): void {
    const segs = segments(log.changes, log.from, log.to);
    const span = log.to - log.from;
    const summary = `levels ${formatClock(log.from * 1000)}–${formatClock(log.to * 1000)}: ${stripSummary(segs)}`;
    const strip = h("div", { class: "level-strip", role: "img", "aria-label": summary, "data-testid": "level-strip", "data-span": Math.round(span) });
    for (const s of segs) {
      const width = (((s.end - s.start) / span) * 100).toFixed(3);
      const title = `${levelName(s.level)} ${formatClock(s.start * 1000)}–${formatClock(s.end * 1000)}`;
      strip.append(h("span", { class: `seg ${levelClass(s.level)}`, style: `width:${width}%`, "data-level": levelName(s.level), title }));
    }
    const rows = log.changes.map((c) =>
      h(
        "tr",
        { "data-testid": "level-change" },
        h("td", {}, formatClock(c.t * 1000)),
        h("td", {}, c.old === null ? "(first)" : levelName(c.old)),
        h("td", {}, levelName(c.new)),
        h("td", {}, c.message),
      ),
    );
    const head = h("tr", {}, ...["time", "old level", "new level", "message"].map((t) => h("th", { scope: "col" }, t)));
    const table = h("table", { class: "level-log", "data-testid": "level-log" }, h("thead", {}, head), h("tbody", {}, ...rows));
    const exportButton = h("button", { type: "button", "data-testid": "level-log-csv" }, "Export CSV");
    this.scope.on(exportButton, "click", () => this.download());
    const details = h(
      "details",
      { "data-testid": "level-log-details" },
      h("summary", {}, `Level changes (${log.changes.length})`),
      log.changes.length > 0 ? table : h("p", {}, "no level change in this range"),
      exportButton,
    );
    this.body.replaceChildren(strip, h("p", { class: "level-strip-summary", "data-testid": "level-strip-summary" }, summary), details);
  }

  private download(): void {
    if (this.log === undefined) return;
    const blob = new Blob([levelLogCsv(this.log)], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const stamp = new Date(this.nowMs()).toISOString().replaceAll(":", "-").slice(0, 19);
    a.download = `chedweb-levels-${this.name.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 80)}-${stamp}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
