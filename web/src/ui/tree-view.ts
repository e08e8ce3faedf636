// diagnostic_aggregator's '/'-path statuses as a collapsible tree (role treegrid): each node shows
// the worst level of itself and everything under it, like rqt_robot_monitor (issue 11 item 1).
import { formatAge } from "../format";
import { shownLevel } from "../levels";
import type { PageState } from "../page-state";
import { matchesText, passesLevel } from "../status-filter";
import { buildTree, rollUp, visibleRows, type TreeNode, type TreeRow } from "../tree";
import { h, placeChildren, setAttr, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { breakableName, levelBadge, setLevelBadge } from "./level-badge";
import { Scope } from "./scope";

interface NodeRow {
  tr: HTMLTableRowElement;
  toggle: HTMLElement;
  badge: HTMLElement;
  message: HTMLElement;
  age: HTMLElement;
}

export class TreeView implements Part {
  readonly name = "tree";
  private readonly scope = new Scope();
  private readonly body = h("tbody");
  private readonly table: HTMLTableElement;
  private readonly empty = h(
    "p",
    { class: "empty-note", "data-testid": "tree-empty", hidden: true },
    "No aggregator statuses ('/'-path names). To see diagnostic_aggregator's tree, forward /diagnostics_agg: ",
    h("code", {}, "ros2 launch chedweb_ros bringup.launch.py forward_agg:=true"),
    " (or add it to the bridge's topics in config/chedweb.yaml).",
  );
  /** Paths the user opened. */
  private readonly expanded = new Set<string>();
  private readonly rows = new Map<string, NodeRow>();
  private readonly byTr = new WeakMap<Element, string>();
  private roots: TreeNode[] = [];
  private version = -1;
  private shownOrder = "";
  private shown: TreeRow[] = [];

  constructor(
    host: HTMLElement,
    private readonly state: PageState,
    private readonly frame: FrameScheduler,
  ) {
    const s = this.scope;
    const head = h("thead", {}, h("tr", {}, ...["name", "level", "message", "age"].map((t) => h("th", { scope: "col" }, t))));
    this.table = h("table", { class: "statuses tree", role: "treegrid", "data-testid": "status-tree", "aria-label": "Aggregator tree" }, head, this.body);
    s.mount(host, this.table);
    s.mount(host, this.empty);
    s.on(this.body, "click", (ev) => this.toggle(ev.target));
    s.on(this.body, "keydown", (ev) => this.onKey(ev as KeyboardEvent));
    s.add(frame.add(this));
    s.onAny([state.data, state.filter, state.staleMs, state.link], () => frame.invalidate(this));
    s.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(nowMs: number): void {
    const { store, filter, staleMs } = this.state;
    const f = filter.value;
    const on = f.view === "tree";
    if (!on) {
      this.table.hidden = this.empty.hidden = true;
      return;
    }
    if (store.structureVersion !== this.version) {
      this.version = store.structureVersion;
      this.roots = buildTree(store.entries.values());
      this.forgetGone();
    }
    this.table.hidden = this.roots.length === 0;
    this.empty.hidden = this.roots.length > 0;
    const levels = rollUp(this.roots, (e) => shownLevel(e, nowMs, staleMs.value));
    const filtering = f.text.trim() !== "" || f.min !== "all";
    // A node passes on its rolled-up level (a parent with an ERROR child is an ERROR) and, for the
    // search, on its own status or its path.
    const keep = filtering
      ? (n: TreeNode, level: number | undefined) =>
          passesLevel(level, f.min) &&
          matchesText([n.path, n.entry?.latest?.message ?? "", n.entry?.hardwareId ?? ""], f.text)
      : undefined;
    const rows = visibleRows(this.roots, levels, this.expanded, keep);
    const signature = rows.map((r) => `${r.node.path}${r.expanded ? "+" : ""}`).join("\u0001");
    if (signature !== this.shownOrder) {
      this.shownOrder = signature;
      // Rows already in place stay attached: re-inserting them all took keyboard focus away.
      placeChildren(this.body, rows.map((r) => this.rowFor(r).tr));
      const first = this.rows.get(rows[0]?.node.path ?? "");
      if (first && !rows.some((r) => this.rows.get(r.node.path)?.tr.tabIndex === 0)) first.tr.tabIndex = 0;
    }
    this.shown = rows;
    for (const r of rows) this.update(r, nowMs);
    setData(this.table, "built", String(this.rows.size));
  }

  dispose(): void {
    this.scope.dispose();
  }

  /** Drops the rows of paths no longer in the tree (statuses the store forgot, at its bound). */
  private forgetGone(): void {
    const paths = new Set<string>();
    const walk = (nodes: TreeNode[]): void => {
      for (const n of nodes) {
        paths.add(n.path);
        walk(n.children);
      }
    };
    walk(this.roots);
    for (const [path, row] of this.rows) {
      if (paths.has(path)) continue;
      row.tr.remove();
      this.rows.delete(path);
    }
    setData(this.table, "built", String(this.rows.size));
  }

  private rowFor(r: TreeRow): NodeRow {
    let row = this.rows.get(r.node.path);
    if (row === undefined) {
      const toggle = h("span", { class: "toggle", "aria-hidden": "true" });
      const badge = levelBadge();
      const message = h("td", { class: "message" });
      const age = h("td", { class: "age" });
      const name = h("td", { class: "name" }, toggle, h("span", { class: "path-label", title: r.node.path }, breakableName(r.node.label)));
      const tr = h(
        "tr",
        { class: "status tree-node", "data-testid": "tree-row", "data-path": r.node.path, "aria-level": r.node.depth + 1, tabindex: -1 },
        name,
        h("td", { class: "level" }, badge),
        message,
        age,
      );
      tr.style.setProperty("--depth", String(r.node.depth));
      row = { tr, toggle, badge, message, age };
      this.rows.set(r.node.path, row);
      this.byTr.set(tr, r.node.path);
    }
    return row;
  }

  private update(r: TreeRow, nowMs: number): void {
    const row = this.rowFor(r);
    setLevelBadge(row.badge, r.level);
    setData(row.tr, "level", row.badge.lastElementChild?.textContent ?? "");
    const parent = r.node.children.length > 0;
    if (parent) setAttr(row.tr, "aria-expanded", String(r.expanded));
    else row.tr.removeAttribute("aria-expanded");
    setText(row.toggle, parent ? (r.expanded ? "▾" : "▸") : "");
    const e = r.node.entry;
    setText(row.message, e?.latest?.message ?? (parent ? `${r.node.children.length} below` : ""));
    setText(row.age, e ? formatAge(nowMs - e.updatedMs) : "");
  }

  private toggle(target: EventTarget | null): void {
    const tr = target instanceof Element ? target.closest("tr.tree-node") : null;
    const path = tr ? this.byTr.get(tr) : undefined;
    if (path === undefined) return;
    this.setOpen(path, !this.expanded.has(path));
  }

  private setOpen(path: string, open: boolean): void {
    if (open) this.expanded.add(path);
    else this.expanded.delete(path);
    this.frame.invalidate(this);
  }

  /** Up/Down/Home/End move; Right opens, Left closes; Enter/Space toggle (WAI-ARIA treegrid). */
  private onKey(ev: KeyboardEvent): void {
    const tr = ev.target instanceof Element ? ev.target.closest("tr.tree-node") : null;
    if (!(tr instanceof HTMLElement)) return;
    const path = this.byTr.get(tr);
    if (path === undefined) return;
    if (ev.key === "Enter" || ev.key === " ") this.setOpen(path, !this.expanded.has(path));
    else if (ev.key === "ArrowRight") this.setOpen(path, true);
    else if (ev.key === "ArrowLeft") this.setOpen(path, false);
    else {
      const trs = this.shown.map((r) => this.rowFor(r).tr);
      const i = trs.indexOf(tr as HTMLTableRowElement);
      const next = ev.key === "ArrowDown" ? trs[i + 1] : ev.key === "ArrowUp" ? trs[i - 1] : ev.key === "Home" ? trs[0] : ev.key === "End" ? trs[trs.length - 1] : undefined;
      if (next === undefined) return;
      tr.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
    ev.preventDefault();
  }
}
