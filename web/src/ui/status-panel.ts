// The Diagnostics panel: heading, filter bar, a skip link past the (possibly long) list, the
// per-machine table and the aggregator tree, and the skip link's target after them.
import type { PageState } from "../page-state";
import { h } from "./dom";
import { FilterBar } from "./filter-bar";
import type { FrameScheduler } from "./frame";
import { Scope, type Disposable } from "./scope";
import type { StatusCsvUrl } from "./status-csv";
import { StatusTable, type LevelSource } from "./table";
import { TreeView } from "./tree-view";

export class StatusPanel implements Disposable {
  private readonly scope = new Scope();

  constructor(host: HTMLElement, state: PageState, frame: FrameScheduler, levels?: LevelSource, csvUrl?: StatusCsvUrl) {
    const s = this.scope;
    s.mount(host, h("h2", { id: "diagnostics-title", tabindex: -1 }, "Diagnostics"));
    const bar = s.mount(host, h("div"));
    s.mount(host, h("a", { class: "skip-link inline", href: "#after-diagnostics", "data-testid": "skip-table" }, "Skip past the status list"));
    const list = s.mount(host, h("div", { class: "status-list" }));
    s.mount(host, h("span", { id: "after-diagnostics", tabindex: -1, "data-testid": "after-diagnostics" }));
    for (const v of [new FilterBar(bar, state, frame), new StatusTable(list, state, frame, levels, csvUrl), new TreeView(list, state, frame)]) {
      s.add(() => v.dispose());
    }
  }

  dispose(): void {
    this.scope.dispose();
  }
}
