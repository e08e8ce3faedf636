// diagnostic_aggregator's '/'-path statuses as a tree with roll-up (pure): a parent shows the worst
// level of itself and its children, as rqt_robot_monitor does (issue 11 item 1).
import { worse } from "./levels";
import type { StatusEntry } from "./store";

export interface TreeNode {
  /** "/Sensors/Lidar": the status name this node stands for. */
  readonly path: string;
  /** The last path segment. */
  readonly label: string;
  readonly depth: number;
  /** The aggregator's own status for this path, when it publishes one. */
  entry: StatusEntry | undefined;
  readonly children: TreeNode[];
}

/** Aggregator statuses have names that are '/'-paths ("/Sensors/Lidar"). */
export function isPathName(name: string): boolean {
  return name.startsWith("/") && name.length > 1;
}

/** The tree of every '/'-path status; nodes without a status of their own are made for the path. */
export function buildTree(entries: Iterable<StatusEntry>): TreeNode[] {
  const roots: TreeNode[] = [];
  const byPath = new Map<string, TreeNode>();
  const node = (path: string, label: string, depth: number, siblings: TreeNode[]): TreeNode => {
    let n = byPath.get(path);
    if (n === undefined) {
      n = { path, label, depth, entry: undefined, children: [] };
      byPath.set(path, n);
      siblings.push(n);
    }
    return n;
  };
  for (const e of entries) {
    if (!isPathName(e.name)) continue;
    const parts = e.name.slice(1).split("/");
    let siblings = roots;
    let path = "";
    let n: TreeNode | undefined;
    parts.forEach((part, depth) => {
      path += `/${part}`;
      n = node(path, part, depth, siblings);
      siblings = n.children;
    });
    // Two statuses with one path (two aggregators): the first is shown.
    if (n !== undefined && n.entry === undefined) n.entry = e;
  }
  const sort = (list: TreeNode[]) => {
    list.sort((a, b) => a.label.localeCompare(b.label));
    for (const c of list) sort(c.children);
  };
  sort(roots);
  return roots;
}

/** Each node's rolled-up level: the worst of its own shown level and its children's. */
export function rollUp(
  roots: readonly TreeNode[],
  levelOf: (entry: StatusEntry) => number | undefined,
): Map<TreeNode, number | undefined> {
  const out = new Map<TreeNode, number | undefined>();
  const visit = (n: TreeNode): number | undefined => {
    let level = n.entry === undefined ? undefined : levelOf(n.entry);
    for (const c of n.children) level = worse(level, visit(c));
    out.set(n, level);
    return level;
  };
  for (const r of roots) visit(r);
  return out;
}

export interface TreeRow {
  node: TreeNode;
  level: number | undefined;
  expanded: boolean;
}

/**
 * The rows to show, depth first: a node's children only when it is expanded. `keep` says whether
 * a node passes the filter on its own; a node is shown when it or a descendant passes, and the
 * ancestors of a passing node are opened (a search finds things inside collapsed branches).
 */
export function visibleRows(
  roots: readonly TreeNode[],
  levels: ReadonlyMap<TreeNode, number | undefined>,
  expanded: ReadonlySet<string>,
  keep: ((node: TreeNode, level: number | undefined) => boolean) | undefined,
): TreeRow[] {
  const rows: TreeRow[] = [];
  const passes = new Map<TreeNode, boolean>();
  const check = (n: TreeNode): boolean => {
    let ok = keep === undefined || keep(n, levels.get(n));
    for (const c of n.children) ok = check(c) || ok;
    passes.set(n, ok);
    return ok;
  };
  if (keep !== undefined) for (const r of roots) check(r);
  const walk = (n: TreeNode) => {
    if (keep !== undefined && !passes.get(n)) return;
    // Filtering opens a branch that holds a match; otherwise the user's choice holds.
    const childMatch = keep !== undefined && n.children.some((c) => passes.get(c));
    const open = n.children.length > 0 && (expanded.has(n.path) || childMatch);
    rows.push({ node: n, level: levels.get(n), expanded: open });
    if (open) for (const c of n.children) walk(c);
  };
  for (const r of roots) walk(r);
  return rows;
}
