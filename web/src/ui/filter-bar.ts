// Search, minimum level, sort and view (per machine or aggregator tree) for the status list. It
// writes state.filter; url-sync.ts keeps that in the URL.
import type { PageState } from "../page-state";
import type { Filter, ListView, MinLevel, SortKey } from "../status-filter";
import { h, setAttr } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

function options(values: [string, string][]): HTMLOptionElement[] {
  return values.map(([v, text]) => h("option", { value: v }, text));
}

export class FilterBar implements Part {
  readonly name = "filter";
  private readonly scope = new Scope();
  private readonly search = h("input", {
    type: "search",
    "data-testid": "status-search",
    placeholder: "name, message or hardware_id",
    "aria-label": "Search statuses by name, message or hardware_id",
  });
  private readonly min = h(
    "select",
    { "data-testid": "level-filter", "aria-label": "Minimum level" },
    ...options([
      ["all", "all levels"],
      ["warn", "WARN or worse"],
      ["error", "ERROR only"],
    ]),
  );
  private readonly sort = h(
    "select",
    { "data-testid": "sort-select", "aria-label": "Sort by" },
    ...options([
      ["name", "name"],
      ["level", "level (worst first)"],
      ["age", "age (oldest first)"],
    ]),
  );
  private readonly views = new Map<ListView, HTMLButtonElement>([
    ["machine", h("button", { type: "button", "data-testid": "view-machine" }, "By machine")],
    ["tree", h("button", { type: "button", "data-testid": "view-tree" }, "Aggregator tree")],
  ]);

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    const s = this.scope;
    const bar = h(
      "div",
      { class: "filter-bar", role: "search", "aria-label": "Filter statuses" },
      h("label", {}, "Search ", this.search),
      h("label", {}, "Show ", this.min),
      h("label", {}, "Sort by ", this.sort),
      h("span", { class: "view-switch", role: "group", "aria-label": "View" }, ...this.views.values()),
    );
    s.mount(host, bar);
    const update = (patch: Partial<Filter>) => state.filter.set({ ...state.filter.value, ...patch });
    s.on(this.search, "input", () => update({ text: this.search.value }));
    s.on(this.min, "change", () => update({ min: this.min.value as MinLevel }));
    s.on(this.sort, "change", () => update({ sort: this.sort.value as SortKey }));
    for (const [view, button] of this.views) s.on(button, "click", () => update({ view }));
    s.add(frame.add(this));
    s.watch(state.filter, () => frame.invalidate(this));
  }

  render(): void {
    const f = this.state.filter.value;
    if (this.search.value !== f.text) this.search.value = f.text;
    if (this.min.value !== f.min) this.min.value = f.min;
    if (this.sort.value !== f.sort) this.sort.value = f.sort;
    for (const [view, button] of this.views) setAttr(button, "aria-pressed", String(view === f.view));
  }

  dispose(): void {
    this.scope.dispose();
  }
}
