// The table of every status, grouped by hardware_id. Rows are built once per status and then
// updated in place (text changes only), so 50 statuses at 10 Hz cost little per frame.
import type { PageState } from "../page-state";
import type { Status } from "../protocol";
import { type StatusEntry, type Store, isStale } from "../store";
import { formatAge, levelClass, levelName } from "../format";
import { h, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

interface Row {
  entry: StatusEntry;
  tr: HTMLTableRowElement;
  level: HTMLElement;
  message: HTMLElement;
  age: HTMLElement;
  detail: HTMLTableRowElement;
  detailCell: HTMLTableCellElement;
  shownLatest: Status | undefined;
  shownDetail: Status | undefined;
  expanded: boolean;
}

function td(text = "", cls = ""): HTMLTableCellElement {
  const cell = document.createElement("td");
  cell.textContent = text;
  if (cls) cell.className = cls;
  return cell;
}

export class StatusTable implements Part {
  readonly name = "table";
  private readonly scope = new Scope();
  private readonly body = h("tbody");
  private rows = new Map<string, Row>();
  private version = -1;

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    const head = h("thead", {}, h("tr", {}, ...["level", "name", "message", "age"].map((t) => h("th", { scope: "col" }, t))));
    this.scope.mount(host, h("h2", {}, "Diagnostics"));
    this.scope.mount(host, h("table", { class: "statuses", "data-testid": "status-table" }, head, this.body));
    this.scope.add(frame.add(this));
    this.scope.watch(state.data, () => frame.invalidate(this));
    this.scope.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(nowMs: number): void {
    const store = this.state.store;
    if (store.structureVersion !== this.version) this.rebuild(store);
    for (const row of this.rows.values()) this.updateRow(row, nowMs);
  }

  dispose(): void {
    this.scope.dispose();
  }

  private rebuild(store: Store): void {
    this.version = store.structureVersion;
    const frag = document.createDocumentFragment();
    for (const [hardwareId, entries] of store.grouped()) {
      const head = document.createElement("tr");
      head.className = "group";
      head.dataset["testid"] = "status-group";
      head.dataset["hardwareId"] = hardwareId;
      const cell = td(hardwareId || "(no hardware_id)");
      cell.colSpan = 4;
      head.append(cell);
      frag.append(head);
      for (const entry of entries) {
        const row = this.rows.get(entry.key) ?? this.makeRow(entry);
        frag.append(row.tr, row.detail);
      }
    }
    this.body.replaceChildren(frag);
  }

  private makeRow(entry: StatusEntry): Row {
    const tr = document.createElement("tr");
    tr.className = "status";
    tr.dataset["testid"] = "status-row";
    tr.dataset["name"] = entry.name;
    tr.dataset["hardwareId"] = entry.hardwareId;
    tr.tabIndex = 0;
    tr.title = "Show values";
    const level = td("", "level");
    const name = td(entry.name, "name");
    const message = td("", "message");
    const age = td("", "age");
    tr.append(level, name, message, age);
    const detail = document.createElement("tr");
    detail.className = "detail";
    detail.hidden = true;
    detail.dataset["testid"] = "status-values";
    const detailCell = td();
    detailCell.colSpan = 4;
    detail.append(detailCell);
    const row: Row = {
      entry,
      tr,
      level,
      message,
      age,
      detail,
      detailCell,
      shownLatest: undefined,
      shownDetail: undefined,
      expanded: false,
    };
    const toggle = () => {
      row.expanded = !row.expanded;
      row.detail.hidden = !row.expanded;
      tr.setAttribute("aria-expanded", String(row.expanded));
      this.updateDetail(row);
    };
    tr.addEventListener("click", toggle);
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        toggle();
      }
    });
    this.rows.set(entry.key, row);
    return row;
  }

  private updateRow(row: Row, nowMs: number): void {
    const { entry } = row;
    const latest = entry.latest;
    const stale = isStale(entry, nowMs);
    if (latest !== row.shownLatest) {
      row.shownLatest = latest;
      // v2: the publisher's own level when it was outside 0..3, and a mark when the bridge had to
      // cut the status to fit a message (docs/protocol.md, "Levels" and "Size").
      const raw = latest?.raw_level;
      setText(row.level, levelName(latest?.level) + (raw === undefined ? "" : ` (level ${raw})`));
      row.level.className = `level ${levelClass(latest?.level)}`;
      setText(row.message, (latest?.message ?? "") + (latest?.truncated ? " [status truncated by the bridge]" : ""));
      setData(row.tr, "level", levelName(latest?.level));
    }
    setData(row.tr, "stale", String(stale));
    row.tr.classList.toggle("stale", stale);
    setText(row.age, stale ? `stale · ${formatAge(nowMs - entry.updatedMs)}` : formatAge(nowMs - entry.updatedMs));
    if (row.expanded) this.updateDetail(row);
  }

  private updateDetail(row: Row): void {
    const latest = row.entry.latest;
    if (!row.expanded || latest === row.shownDetail) return;
    row.shownDetail = latest;
    const dl = document.createElement("dl");
    dl.className = "values";
    for (const [key, value] of Object.entries(latest?.values ?? {})) {
      const dt = document.createElement("dt");
      dt.textContent = key;
      const dd = document.createElement("dd");
      dd.textContent = value;
      dl.append(dt, dd);
    }
    if (dl.childElementCount === 0) dl.textContent = "no values";
    row.detailCell.replaceChildren(dl);
  }
}
