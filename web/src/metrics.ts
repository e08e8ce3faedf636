// Reading system_metrics statuses (names and keys fixed by docs/protocol.md) for one machine:
// the current values for the cards, and the aligned series for the charts and the CSV export.
import { parseNumber } from "./protocol";
import type { StatusEntry, Store } from "./store";

export const TASKS = ["CPU", "Memory", "Temperature", "Disk", "Network", "Processes"] as const;
export type Task = (typeof TASKS)[number];

// The task names are plain words: no regular-expression escaping needed.
const TASK_RE = new RegExp(`^(.*): (${TASKS.join("|")})$`);

/** The system_metrics task of a status name ("<node>: CPU" -> "CPU"), whatever the node is called. */
export function taskOf(name: string): Task | undefined {
  const m = TASK_RE.exec(name);
  return m ? (m[2] as Task) : undefined;
}

/** Machines (hardware_ids) that publish system_metrics statuses, sorted. */
export function machines(store: Store): string[] {
  const ids = new Set<string>();
  for (const e of store.entries.values()) if (e.task !== undefined) ids.add(e.hardwareId);
  return [...ids].sort();
}

/** One machine's system_metrics statuses by task (the first found when several nodes publish). */
export function machineStatuses(store: Store, hardwareId: string): Partial<Record<Task, StatusEntry>> {
  const out: Partial<Record<Task, StatusEntry>> = {};
  for (const e of store.entries.values()) {
    if (e.hardwareId !== hardwareId || e.task === undefined) continue;
    if (out[e.task] === undefined) out[e.task] = e;
  }
  return out;
}

function num(values: Record<string, string> | undefined, key: string): number | undefined {
  return parseNumber(values?.[key]);
}

/** Temperature reading keys: "<sensor> <label> degC", not the high/critical thresholds. */
export function isTemperatureKey(key: string): boolean {
  return key.endsWith(" degC") && !key.endsWith(" high degC") && !key.endsWith(" critical degC");
}

export function coreKeys(keys: Iterable<string>): string[] {
  const cores: [number, string][] = [];
  for (const k of keys) {
    const m = /^core (\d+) %$/.exec(k);
    if (m) cores.push([Number(m[1]), k]);
  }
  return cores.sort((a, b) => a[0] - b[0]).map(([, k]) => k);
}

/** Disk "used %" key to show: "/ used %" when present, else the first path's. */
export function diskUsedKey(keys: Iterable<string>): string | undefined {
  let first: string | undefined;
  for (const k of keys) {
    if (k === "/ used %") return k;
    if (first === undefined && k.endsWith(" used %")) first = k;
  }
  return first;
}

export interface Card {
  id: string;
  label: string;
  value: number | undefined;
  unit: string;
  level: number | undefined;
}

export function cards(store: Store, hardwareId: string): Card[] {
  const s = machineStatuses(store, hardwareId);
  const v = (task: Task) => s[task]?.latest?.values;
  const lvl = (task: Task) => s[task]?.latest?.level;
  const temps = Object.keys(v("Temperature") ?? {})
    .filter(isTemperatureKey)
    .map((k) => num(v("Temperature"), k))
    .filter((x): x is number => x !== undefined);
  const diskKey = diskUsedKey(Object.keys(v("Disk") ?? {}));
  return [
    { id: "cpu", label: "CPU", value: num(v("CPU"), "usage %"), unit: "%", level: lvl("CPU") },
    { id: "memory", label: "Memory", value: num(v("Memory"), "used %"), unit: "%", level: lvl("Memory") },
    {
      id: "temperature",
      label: "Temperature",
      value: temps.length > 0 ? Math.max(...temps) : undefined,
      unit: "°C",
      level: lvl("Temperature"),
    },
    {
      id: "disk",
      label: diskKey ? `Disk ${diskKey.slice(0, -" used %".length)}` : "Disk",
      value: diskKey ? num(v("Disk"), diskKey) : undefined,
      unit: "%",
      level: lvl("Disk"),
    },
    { id: "rx", label: "Network rx", value: num(v("Network"), "rx B/s"), unit: "B/s", level: lvl("Network") },
    { id: "tx", label: "Network tx", value: num(v("Network"), "tx B/s"), unit: "B/s", level: lvl("Network") },
  ];
}

export interface Process {
  rank: number;
  name: string;
  pid: number | undefined;
  cpu: number | undefined;
  rssMiB: number | undefined;
}

export function processes(store: Store, hardwareId: string): Process[] {
  const values = machineStatuses(store, hardwareId).Processes?.latest?.values ?? {};
  const out: Process[] = [];
  for (let r = 1; `${r} name` in values; r++) {
    out.push({
      rank: r,
      name: values[`${r} name`] ?? "",
      pid: num(values, `${r} pid`),
      cpu: num(values, `${r} cpu %`),
      rssMiB: num(values, `${r} rss MiB`),
    });
  }
  return out;
}

/** A series to chart: which status and key it reads, and its label. */
export interface SeriesSpec {
  entry: StatusEntry;
  key: string;
  label: string;
}

/** Series aligned on one time axis, NaN where a series has no sample at that time. */
export interface Table {
  labels: string[];
  t: Float64Array;
  columns: Float64Array[];
}

export function emptyTable(labels: string[]): Table {
  return { labels, t: new Float64Array(0), columns: labels.map(() => new Float64Array(0)) };
}

function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Joins several series onto the union of their times within [from, +inf). Each series' times are
 * sorted (the ring guarantees it), so this is a k-way merge, linear in the samples in view.
 */
export function joinSeries(specs: SeriesSpec[], from: number): Table {
  // One window search and one copy of the time column per status, however many of its keys
  // are charted: series of the same status share that copy.
  const windows = new Map<StatusEntry, { start: number; t: Float64Array }>();
  const parts = specs.map((s) => {
    let w = windows.get(s.entry);
    if (w === undefined) {
      const start = s.entry.history.lowerBound(from);
      windows.set(s.entry, (w = { start, t: s.entry.history.timesFrom(start) }));
    }
    return { t: w.t, v: s.entry.history.valuesFrom(s.key, w.start) };
  });
  // Fast path: the series share one time column (they read the same status, or statuses that
  // came in the same DiagnosticArray, as system_metrics publishes them).
  const first = parts[0];
  const shared = first !== undefined && parts.every((p) => p.t === first.t || sameTimes(p.t, first.t));
  if (shared) {
    return {
      labels: specs.map((s) => s.label),
      t: first.t,
      columns: parts.map((p) => p.v),
    };
  }
  const idx = parts.map(() => 0);
  const times: number[] = [];
  const columns: number[][] = parts.map(() => []);
  for (;;) {
    let next = Number.POSITIVE_INFINITY;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      const i = idx[k]!;
      if (i < p.t.length && (p.t[i] as number) < next) next = p.t[i] as number;
    }
    if (next === Number.POSITIVE_INFINITY) break;
    times.push(next);
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      const i = idx[k]!;
      if (i < p.t.length && p.t[i] === next) {
        columns[k]!.push(p.v[i] as number);
        idx[k] = i + 1;
      } else {
        columns[k]!.push(Number.NaN);
      }
    }
  }
  return {
    labels: specs.map((s) => s.label),
    t: Float64Array.from(times),
    columns: columns.map((c) => Float64Array.from(c)),
  };
}

export type ChartId = "cpu-memory" | "temperature" | "network" | "cores";

export interface ChartSpec {
  id: ChartId;
  title: string;
  unit: string;
  series: SeriesSpec[];
}

const MAX_TEMPERATURE_SERIES = 8;

/** The four charts of one machine, from whichever of its statuses exist. */
export function chartSpecs(store: Store, hardwareId: string): ChartSpec[] {
  const s = machineStatuses(store, hardwareId);
  const cpuMem: SeriesSpec[] = [];
  if (s.CPU) cpuMem.push({ entry: s.CPU, key: "usage %", label: "CPU %" });
  if (s.Memory) cpuMem.push({ entry: s.Memory, key: "used %", label: "Memory %" });
  const temps: SeriesSpec[] = [];
  if (s.Temperature) {
    for (const k of s.Temperature.history.keys().filter(isTemperatureKey).sort().slice(0, MAX_TEMPERATURE_SERIES)) {
      temps.push({ entry: s.Temperature, key: k, label: k.slice(0, -" degC".length) });
    }
  }
  const net: SeriesSpec[] = [];
  if (s.Network) {
    net.push({ entry: s.Network, key: "rx B/s", label: "rx B/s" });
    net.push({ entry: s.Network, key: "tx B/s", label: "tx B/s" });
  }
  const cores: SeriesSpec[] = [];
  if (s.CPU) {
    for (const k of coreKeys(s.CPU.history.keys())) cores.push({ entry: s.CPU, key: k, label: k.slice(0, -2) });
  }
  return [
    { id: "cpu-memory", title: "CPU and memory", unit: "%", series: cpuMem },
    { id: "temperature", title: "Temperature", unit: "°C", series: temps },
    { id: "network", title: "Network", unit: "B/s", series: net },
    { id: "cores", title: "CPU per core", unit: "%", series: cores },
  ];
}

/** Newest sample time among a machine's system_metrics statuses (the right edge of the charts). */
export function newestTime(store: Store, hardwareId: string): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of Object.values(machineStatuses(store, hardwareId))) {
    if (e.history.newestT > newest) newest = e.history.newestT;
  }
  return newest;
}

/**
 * The machine to show: the current one while it is still listed, else the bridge's own host
 * (its system_metrics is the likeliest to matter), else the first listed.
 */
export function chooseMachine(list: readonly string[], current: string, preferred: string | undefined): string {
  if (list.includes(current)) return current;
  if (preferred !== undefined && list.includes(preferred)) return preferred;
  return list[0] ?? "";
}
