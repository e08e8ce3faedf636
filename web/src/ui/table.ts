// The status list per machine: every status grouped by hardware_id, each group headed by its
// worst level; searched, filtered and sorted by state.filter. Rows are built once per status and
// updated in place (text changes only). In a long list (over FULL_UPDATE_ROWS) only the rows on
// screen are updated each frame, and the others when they scroll into view: at 1,000 statuses
// updating every row every frame cost far more than the 16 ms a frame has (docs/benchmarks.md).
import { formatAge, formatClock } from "../format";
import { entryLevelSince, isStale, shownLevel } from "../levels";
import type { PageState } from "../page-state";
import { parseNumber, type Status } from "../protocol";
import { compare, matches, nameRanks, type Sortable } from "../status-filter";
import type { StatusEntry } from "../store";
import { isPathName } from "../tree";
import { groupRows } from "../row-groups";
import { chartKeyInto, closeChartMenu } from "./chart-key-menu";
import { h, placeChildren, setAttr, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { breakableName, levelBadge, setLevelBadge } from "./level-badge";
import { LevelHistory, type LevelSource } from "./level-history";
import { addStatusCsv, removeStatusCsv, type StatusCsvUrl } from "./status-csv";
import { Scope } from "./scope";
import { ValueList, type ValueLine } from "./value-list";

export type { LevelSource } from "./level-history";

const FULL_UPDATE_ROWS = 200;
/**
 * Rows (group heads and statuses) per row group (tbody) at most: a long list skips its row groups
 * off screen, not each row (content-visibility: auto, style.css). The browser keeps an observer
 * per skipped element, and over 1,000 rows that observer alone cost about 5 ms a frame
 * (IntersectionObserverController::computeIntersections, docs/benchmarks.md); over 20 groups it
 * costs next to nothing, and a group is still small next to a screen. Groups keep their rows as
 * rows come and go (row-groups.ts).
 */
export const ROWS_PER_GROUP = 50;
/**
 * New rows built in one frame at most (about 0.14 ms a row on a loaded 2-vCPU VM): hundreds of
 * statuses appearing at once (a snapshot of 1,000) are listed over several frames instead of one
 * 20–50 ms frame (docs/benchmarks.md). 32 rather than 64: with the parsing moved to a worker, the
 * frames that built 64 rows (about 10 ms of script) were the slowest of a 1,000-status page.
 */
export const NEW_ROWS_PER_FRAME = 32;

interface Row {
  entry: StatusEntry;
  tr: HTMLTableRowElement;
  badge: HTMLElement;
  message: HTMLElement;
  age: HTMLElement;
  detail: HTMLTableRowElement;
  detailCell: HTMLTableCellElement;
  /** The values part of the detail cell (updated in place when the status changes). */
  values: ValueList;
  /** Shown while the values are not live (capability "interest": not sent since the row opened). */
  waiting: HTMLElement;
  /** The level history under the values, while the row is open (capability "levels"). */
  history: LevelHistory | undefined;
  shownLatest: Status | undefined;
  shownDetail: Status | undefined;
  expanded: boolean;
  onScreen: boolean;
}

/** Whether two lists hold the same rows in the same order. */
function sameRows(a: readonly HTMLTableRowElement[] | undefined, b: readonly HTMLTableRowElement[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function td(content: string | Node = "", cls = ""): HTMLTableCellElement {
  const cell = h("td", cls ? { class: cls, role: "cell" } : { role: "cell" });
  cell.append(content);
  return cell;
}

export class StatusTable implements Part {
  readonly name = "table";
  private readonly scope = new Scope();
  /** The row groups, in order, by the row each starts with (row-groups.ts). */
  private sections = new Map<HTMLTableRowElement, HTMLTableSectionElement>();
  /** The rows each row group was last given: a group whose rows did not change is not touched. */
  private readonly sectionRows = new WeakMap<HTMLTableSectionElement, readonly HTMLTableRowElement[]>();
  /** The values rows (a JS lookup: classList.contains over every row each frame cost more). */
  private readonly valuesRows = new WeakSet<Element>();
  /** The row in the tab order (roving tabindex), kept here rather than searched for each frame. */
  private tabStop: HTMLElement | undefined;
  /** Row groups the browser skips (off screen), from content-visibility's own event. */
  private readonly skipped = new WeakSet<Element>();
  private readonly head: HTMLTableSectionElement;
  private readonly table: HTMLTableElement;
  private readonly rows = new Map<string, Row>();
  private readonly byTr = new WeakMap<Element, Row>();
  private readonly groups = new Map<string, { tr: HTMLTableRowElement; badge: HTMLElement; count: HTMLElement }>();
  private shownOrder = "";
  private rowCount = 0;
  /** store.structureVersion when ranks and onlyPaths were computed. */
  private structure = -1;
  private ranks = new Map<string, number>();
  private onlyPaths = false;

  constructor(
    host: HTMLElement,
    private readonly state: PageState,
    private readonly frame: FrameScheduler,
    private readonly levels?: LevelSource,
    private readonly csvUrl?: StatusCsvUrl,
  ) {
    const s = this.scope;
    s.add(() => {
      for (const row of this.rows.values()) row.history?.dispose();
    });
    // Explicit roles: the list is laid out as a grid per row, not as a CSS table (class row-grid,
    // style.css), and a table whose display changed may lose its table semantics in the
    // accessibility tree; with the roles it stays a table, its rows rows and its cells cells.
    const head = (this.head = h(
      "thead",
      { role: "rowgroup" },
      h("tr", { role: "row" }, ...["level", "name", "message", "age"].map((t) => h("th", { scope: "col", role: "columnheader" }, t))),
    ));
    this.table = h(
      "table",
      { class: "statuses row-grid", role: "table", "data-testid": "status-table", "aria-label": "Diagnostics by machine" },
      head,
    );
    s.mount(host, this.table);
    // Which rows are on screen comes from content-visibility (a long list's row groups are
    // content-visibility: auto, style.css): a group off screen is skipped by the browser and says
    // so. A second IntersectionObserver over the same 1,000 rows cost as much as all the list's
    // layout (docs/benchmarks.md). Rows start as on screen (never the reverse: at worst a row is
    // written that did not need it), and a browser without the event updates every row.
    s.on(
      this.table,
      "contentvisibilityautostatechange",
      (ev) => {
        const section = ev.target as Element;
        if (section.parentElement !== this.table || section === this.head) return;
        if ((ev as Event & { skipped?: boolean }).skipped) this.skipped.add(section);
        else this.skipped.delete(section);
        this.markOnScreen(section);
        frame.invalidate(this);
      },
      true,
    );
    s.on(this.table, "click", (ev) => {
      if (!this.chartKey(ev.target)) this.toggleFrom(ev.target);
    });
    s.on(this.table, "keydown", (ev) => this.onKey(ev as KeyboardEvent));
    s.add(frame.add(this));
    s.onAny([state.data, state.filter, state.staleMs, state.link], () => frame.invalidate(this));
    s.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(nowMs: number): void {
    const { store, filter, staleMs } = this.state;
    const stale = staleMs.value;
    const f = filter.value;
    this.table.hidden = f.view !== "machine";
    if (this.table.hidden) return;
    // What depends only on which statuses there are, once per new status, not once a frame.
    if (store.structureVersion !== this.structure) {
      this.structure = store.structureVersion;
      this.ranks = nameRanks([...store.entries.values()].map((e) => e.name));
      // Aggregator paths belong to the tree view; here only when nothing else is published, so a
      // robot that forwards only /diagnostics_agg still lists its statuses.
      this.onlyPaths = [...store.entries.values()].every((e) => isPathName(e.name));
    }
    const { onlyPaths, ranks } = this;
    const byMachine = new Map<string, Sortable[]>();
    for (const entry of store.entries.values()) {
      if (!onlyPaths && isPathName(entry.name)) continue;
      const level = shownLevel(entry, nowMs, stale);
      if (!matches(entry, level, f)) continue;
      let g = byMachine.get(entry.hardwareId);
      if (g === undefined) byMachine.set(entry.hardwareId, (g = []));
      g.push({ entry, level, rank: ranks.get(entry.name) });
    }
    // Rows sorted within each machine; machines by their first row under the same sort (the worst
    // machine first when sorting by level, the one with the oldest status first by age).
    for (const list of byMachine.values()) list.sort((a, b) => compare(f.sort, a, b));
    const machines = [...byMachine.keys()].sort((a, b) => {
      const x = byMachine.get(a)?.[0];
      const y = byMachine.get(b)?.[0];
      const d = f.sort === "name" || x === undefined || y === undefined ? 0 : compare(f.sort, x, y);
      return d || a.localeCompare(b);
    });
    const order: string[] = [];
    for (const m of machines) order.push(`#${m}`, ...(byMachine.get(m) as Sortable[]).map((x) => x.entry.key));
    const signature = order.join("\u0001");
    if (signature !== this.shownOrder) {
      // Rows not built yet (over this frame's budget) come in the next frames.
      if (this.reorder(machines, byMachine)) this.shownOrder = signature;
      else this.frame.invalidate(this);
      this.forgetEvicted();
    }
    this.rowCount = order.length - machines.length;
    const all = this.rowCount <= FULL_UPDATE_ROWS;
    for (const m of machines) {
      const list = byMachine.get(m) as Sortable[];
      this.updateGroup(m, list);
      for (const { entry, level } of list) {
        const row = this.rows.get(entry.key);
        if (row !== undefined && (all || row.onScreen)) this.updateRow(row, level, nowMs);
      }
    }
    setData(this.table, "rows", String(this.rowCount));
    // A long list skips the layout and paint of its rows off screen (style.css, row-grid).
    setData(this.table, "long", String(!all));
    setData(this.table, "built", String(this.rows.size));
  }

  dispose(): void {
    this.scope.dispose();
  }

  /** Drops the rows of statuses the store forgot (its bound): otherwise a node inventing names
   * grows this map without bound while the DOM stays at the cap. */
  private forgetEvicted(): void {
    const { entries } = this.state.store;
    for (const [key, row] of this.rows) {
      if (entries.has(key)) continue;
      if (row.expanded) this.setOpen(key, false);
      row.history?.dispose();
      row.tr.remove();
      row.detail.remove();
      this.rows.delete(key);
    }
  }

  /** Puts the group heads and rows that pass the filter into the body, in order, building at
   * most NEW_ROWS_PER_FRAME new rows; false when some were left for the next frame. */
  private reorder(machines: string[], byMachine: Map<string, Sortable[]>): boolean {
    const order: HTMLTableRowElement[] = [];
    let budget = NEW_ROWS_PER_FRAME;
    let left = false;
    let first: HTMLTableRowElement | undefined;
    for (const m of machines) {
      order.push(this.group(m).tr);
      for (const { entry } of byMachine.get(m) as Sortable[]) {
        let row = this.rows.get(entry.key);
        if (row === undefined) {
          if (budget === 0) {
            left = true;
            continue;
          }
          budget -= 1;
          row = this.makeRow(entry);
        }
        first ??= row.tr;
        order.push(row.tr, row.detail);
      }
    }
    this.placeInGroups(order);
    // One row in the tab order (roving tabindex): Tab leaves the table in one step, arrows move.
    // Kept in a field: searching the list for it each frame was a walk over every row.
    if (this.tabStop === undefined || !this.listed(this.tabStop)) {
      // Out of the tab order, so it does not come back as a second tab stop when listed again.
      this.tabStop?.setAttribute("tabindex", "-1");
      this.tabStop = first;
      first?.setAttribute("tabindex", "0");
    }
    return !left;
  }

  /** Whether a row is in the table's body now (filtered-out rows are taken out of it). */
  private listed(tr: Element): boolean {
    return tr.parentElement?.parentElement === this.table;
  }

  /**
   * Puts the rows into row groups (row-groups.ts), in order. In place: rows already where they
   * belong stay attached. Re-inserting every row (as replaceChildren did) made the browser restyle
   * and re-lay out the whole list whenever a status appeared, and took keyboard focus off the
   * focused row. A status's values row stays in its status's group.
   */
  private placeInGroups(order: HTMLTableRowElement[]): void {
    const isValues = (tr: HTMLTableRowElement) => this.valuesRows.has(tr);
    const slices = groupRows(order, new Set(this.sections.keys()), ROWS_PER_GROUP, isValues);
    const sections = new Map<HTMLTableRowElement, HTMLTableSectionElement>();
    for (const rows of slices) {
      const first = rows[0] as HTMLTableRowElement;
      sections.set(first, this.sections.get(first) ?? h("tbody", { role: "rowgroup" }));
    }
    this.sections = sections;
    placeChildren(this.table, [this.head, ...sections.values()]);
    for (const rows of slices) {
      const section = sections.get(rows[0] as HTMLTableRowElement) as HTMLTableSectionElement;
      // A group whose rows are the same as last time is left alone: while rows are built a few a
      // frame, most groups do not change, and walking all their rows cost more than the build.
      if (sameRows(this.sectionRows.get(section), rows)) continue;
      this.sectionRows.set(section, rows);
      placeChildren(section, rows);
      // Its height until the browser has laid it out once (then it remembers it): style.css.
      const shown = String(rows.filter((tr) => !isValues(tr)).length);
      if (section.style.getPropertyValue("--rows") !== shown) section.style.setProperty("--rows", shown);
      this.markOnScreen(section);
    }
  }

  /** A group's rows are on screen unless the browser skips the group. */
  private markOnScreen(section: Element): void {
    const on = !this.skipped.has(section);
    for (const tr of section.children) {
      const row = this.byTr.get(tr);
      if (row !== undefined) row.onScreen = on;
    }
  }

  private group(hardwareId: string) {
    let g = this.groups.get(hardwareId);
    if (g === undefined) {
      const badge = levelBadge();
      const count = h("span", { class: "count" });
      const tr = h(
        "tr",
        { class: "group", role: "row", "data-testid": "status-group", "data-hardware-id": hardwareId },
        h("th", { colspan: 4, scope: "rowgroup", role: "rowheader" }, badge, " ", hardwareId || "(no hardware_id)", " ", count),
      );
      g = { tr, badge, count };
      this.groups.set(hardwareId, g);
    }
    return g;
  }

  /** A machine's head shows its worst level (roll-up) and how many statuses it lists. */
  private updateGroup(hardwareId: string, list: Sortable[]): void {
    const g = this.group(hardwareId);
    let worst: Sortable | undefined;
    for (const x of list) if (worst === undefined || compare("level", x, worst) < 0) worst = x;
    setLevelBadge(g.badge, worst?.level);
    setData(g.tr, "level", g.badge.textContent?.slice(1) ?? "");
    setText(g.count, `(${list.length})`);
  }

  private makeRow(entry: StatusEntry): Row {
    const badge = levelBadge();
    const message = td("", "message");
    const age = td("", "age");
    const tr = h("tr", {
      class: "status",
      role: "row",
      "data-testid": "status-row",
      "data-name": entry.name,
      "data-hardware-id": entry.hardwareId,
      tabindex: -1,
      "aria-expanded": "false",
      title: "Show values",
    });
    tr.append(td(badge, "level"), td(breakableName(entry.name), "name"), message, age);
    const detailCell = td();
    detailCell.colSpan = 4;
    const values = new ValueList();
    const waiting = h("p", { class: "values-waiting", "data-testid": "values-waiting", hidden: true }, "Values not live yet: shown as last received, live ones are on their way.");
    detailCell.append(waiting, values.el);
    const detail = h("tr", { class: "detail", role: "row", "data-testid": "status-values", hidden: true }, detailCell);
    const row: Row = {
      entry,
      tr,
      badge,
      message,
      age,
      detail,
      detailCell,
      values,
      waiting,
      history: undefined,
      shownLatest: undefined,
      shownDetail: undefined,
      expanded: false,
      onScreen: true,
    };
    this.rows.set(entry.key, row);
    this.byTr.set(tr, row);
    this.valuesRows.add(detail);
    return row;
  }

  private updateRow(row: Row, level: number | undefined, nowMs: number): void {
    const { entry } = row;
    const latest = entry.latest;
    const stale = isStale(entry, nowMs, this.state.staleMs.value);
    setLevelBadge(row.badge, level);
    setData(row.tr, "level", row.badge.lastElementChild?.textContent ?? "");
    if (latest !== row.shownLatest) {
      row.shownLatest = latest;
      // v2: the publisher's own level when it was outside 0..3, and a mark when the bridge had to
      // cut the status to fit a message (docs/protocol.md, "Levels" and "Size").
      const raw = latest?.raw_level;
      setText(
        row.message,
        (latest?.message ?? "") +
          (raw === undefined ? "" : ` (published level ${raw})`) +
          (latest?.truncated ? " [status truncated by the bridge]" : ""),
      );
    }
    setData(row.tr, "stale", String(stale));
    const age = formatAge(nowMs - entry.updatedMs);
    setText(row.age, stale ? `stale · ${age}` : age);
    if (row.expanded) this.updateDetail(row, nowMs);
  }

  private updateDetail(row: Row, nowMs: number): void {
    const latest = row.entry.latest;
    if (!row.expanded || latest === row.shownDetail) return;
    row.shownDetail = latest;
    const lines: ValueLine[] = [];
    const since = entryLevelSince(row.entry);
    if (since !== undefined) {
      lines.push({ id: "\0since", label: "at this level since", value: `${formatClock(since * 1000)} (${formatAge(nowMs - since * 1000)})`, testid: "level-since" });
    }
    lines.push({ id: "\0hardware_id", label: "hardware_id", value: row.entry.hardwareId || "(none)" });
    for (const [key, value] of Object.entries(latest?.values ?? {})) {
      // A numeric key can be charted, in a panel of its own (ui/custom-charts.ts).
      lines.push({ id: key, label: key, value, ...(parseNumber(value) !== undefined ? { chartKey: key } : {}) });
    }
    row.values.update(lines);
    // Capability "interest": values that did not come with the last update are the last ones
    // received, not live; the page has asked for them, and the bridge's reply or the next message
    // brings them.
    row.waiting.hidden = row.entry.valuesLive;
  }

  /** Tells the page which rows are open: their statuses' values are asked from the bridge. */
  private setOpen(key: string, open: boolean): void {
    const set = new Set(this.state.openStatuses.value);
    if (open) set.add(key);
    else set.delete(key);
    this.state.openStatuses.set(set);
  }

  /** A detail pane's "chart" button: the key goes into a new chart panel or one added before. */
  private chartKey(target: EventTarget | null): boolean {
    const button = target instanceof Element ? target.closest<HTMLElement>("button.chart-key") : null;
    const status = button?.closest("tr.detail")?.previousElementSibling;
    const row = status ? this.byTr.get(status) : undefined;
    const key = button?.dataset["key"];
    if (row === undefined || key === undefined) return button !== null && button !== undefined;
    const { hardwareId, name } = row.entry;
    chartKeyInto(row.detailCell, this.state, { hardwareId, name, key });
    return true;
  }

  private toggleFrom(target: EventTarget | null): void {
    const tr = target instanceof Element ? target.closest("tr.status") : null;
    const row = tr ? this.byTr.get(tr) : undefined;
    if (row === undefined) return;
    row.expanded = !row.expanded;
    row.detail.hidden = !row.expanded;
    closeChartMenu(row.detailCell);
    removeStatusCsv(row.detailCell);
    setAttr(row.tr, "aria-expanded", String(row.expanded));
    this.setOpen(row.entry.key, row.expanded);
    row.shownDetail = undefined;
    this.updateDetail(row, this.state.now());
    row.history?.dispose();
    row.history = undefined;
    const { entry } = row;
    const { range, zoom, capabilities } = this.state;
    // The selected range: a fixed window (zoom, pan, custom), else the range up to now.
    const window = (): readonly [number, number] => {
      const to = this.state.now() / 1000;
      return zoom.value ?? [to - range.value, to];
    };
    const csvUrl = this.csvUrl;
    if (row.expanded && csvUrl !== undefined && capabilities.value.includes("query")) {
      addStatusCsv(row.detailCell, () => csvUrl(entry.hardwareId, entry.name, ...window()));
    }
    if (row.expanded && this.levels !== undefined && capabilities.value.includes("levels")) {
      row.history = new LevelHistory(row.detailCell, entry.hardwareId, entry.name, this.levels, window, () => this.state.now(), [range, zoom]);
    }
  }

  /** Up/Down/Home/End move between rows, Enter/Space open a row's values. */
  private onKey(ev: KeyboardEvent): void {
    const tr = ev.target instanceof Element ? ev.target.closest("tr.status") : null;
    if (!(tr instanceof HTMLElement)) return;
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      this.toggleFrom(tr);
      return;
    }
    const rows = [...this.table.querySelectorAll<HTMLElement>("tbody > tr.status")];
    const i = rows.indexOf(tr);
    const next =
      ev.key === "ArrowDown" ? rows[i + 1] : ev.key === "ArrowUp" ? rows[i - 1] : ev.key === "Home" ? rows[0] : ev.key === "End" ? rows[rows.length - 1] : undefined;
    if (next === undefined) return;
    ev.preventDefault();
    tr.tabIndex = -1;
    next.tabIndex = 0;
    this.tabStop = next;
    next.focus();
  }
}
