// Display formatting.
export const LEVEL_NAMES = ["OK", "WARN", "ERROR", "STALE"] as const;

export function levelName(level: number | undefined): string {
  return level === undefined ? "—" : (LEVEL_NAMES[level] ?? String(level));
}

export function levelClass(level: number | undefined): string {
  return level === undefined ? "level-none" : `level-${levelName(level).toLowerCase()}`;
}

const RATE_UNITS = ["B/s", "KiB/s", "MiB/s", "GiB/s"];

export function formatRate(bytesPerSecond: number): string {
  let v = bytesPerSecond;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < RATE_UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${RATE_UNITS[u]}`;
}

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return "—";
  if (unit === "B/s") return formatRate(value);
  return `${value.toFixed(1)} ${unit}`;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  // Whole seconds: the text of 50 rows then changes once a second, not on every frame.
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

/** A wall-clock time of day, HH:MM:SS in the browser's time zone. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}
