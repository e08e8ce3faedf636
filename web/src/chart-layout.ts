// The chart panels the user added (pure): each panel charts keys of any statuses, picked from a
// status's detail pane. The layout is kept in localStorage so it survives a reload.
import { z } from "zod";

export interface CustomSeries {
  hardwareId: string;
  name: string;
  key: string;
}

export interface CustomPanel {
  id: number;
  series: CustomSeries[];
}

/** At most this many panels, and series per panel: each is a query per redraw window. */
export const MAX_PANELS = 8;
export const MAX_SERIES = 8;

export const LAYOUT_KEY = "chedweb.charts";

const layoutSchema = z.array(
  z.object({
    id: z.number().int(),
    series: z.array(z.object({ hardwareId: z.string(), name: z.string(), key: z.string() })).max(MAX_SERIES),
  }),
);

const same = (a: CustomSeries, b: CustomSeries) => a.hardwareId === b.hardwareId && a.name === b.name && a.key === b.key;

/**
 * Adds a series: to panel `into` when given (unless it is already there or full), else to a new
 * panel. Returns the layout unchanged when nothing can be added.
 */
export function addSeries(layout: readonly CustomPanel[], s: CustomSeries, into?: number): CustomPanel[] {
  const target = into === undefined ? undefined : layout.find((p) => p.id === into);
  if (target !== undefined) {
    if (target.series.some((x) => same(x, s)) || target.series.length >= MAX_SERIES) return [...layout];
    return layout.map((p) => (p === target ? { id: p.id, series: [...p.series, s] } : p));
  }
  if (layout.length >= MAX_PANELS) return [...layout];
  const id = layout.reduce((m, p) => Math.max(m, p.id), 0) + 1;
  return [...layout, { id, series: [s] }];
}

/** Where a key can go, as the detail pane offers it: a new panel, or an existing one. */
export interface PanelChoice {
  /** The panel's id; undefined: a new panel. */
  into: number | undefined;
  label: string;
  /** Why it cannot take the key ("already charted there", "full"), or undefined when it can. */
  refused: string | undefined;
}

/**
 * The choices for charting `s`: a new panel first, then every existing panel in order, each with
 * the reason it cannot take the key, if any (the same rules as addSeries).
 */
export function panelChoices(layout: readonly CustomPanel[], s: CustomSeries): PanelChoice[] {
  const fresh: PanelChoice = { into: undefined, label: "New chart panel", refused: layout.length >= MAX_PANELS ? `${MAX_PANELS} panels at most` : undefined };
  return [
    fresh,
    ...layout.map((p) => ({
      into: p.id,
      label: `Add to: ${panelTitle(p)}`,
      refused: p.series.some((x) => same(x, s)) ? "already charted there" : p.series.length >= MAX_SERIES ? `${MAX_SERIES} keys at most` : undefined,
    })),
  ];
}

export function removePanel(layout: readonly CustomPanel[], id: number): CustomPanel[] {
  return layout.filter((p) => p.id !== id);
}

export function serializeLayout(layout: readonly CustomPanel[]): string {
  return JSON.stringify(layout);
}

/** A stored layout, or none when it is missing or not valid (an older page's, a hand edit). */
export function parseLayout(text: string | null): CustomPanel[] {
  if (text === null) return [];
  try {
    const r = layoutSchema.safeParse(JSON.parse(text));
    return r.success ? r.data.slice(0, MAX_PANELS) : [];
  } catch {
    return [];
  }
}

/** A panel's caption: its keys, with the status where they come from. */
export function panelTitle(p: CustomPanel): string {
  return p.series.map((s) => `${s.key} (${s.hardwareId} / ${s.name})`).join(", ");
}
