// The top-processes table of the selected machine.
import { machineStatuses, processes } from "../metrics";
import type { PageState } from "../page-state";
import type { Status } from "../protocol";
import { h } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

export class ProcessesView implements Part {
  readonly name = "processes";
  private readonly scope = new Scope();
  private readonly body = h("tbody");
  /** The Processes status the rows were last built from (null: not built yet). */
  private shown: Status | undefined | null = null;
  private signature = "";

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    const head = h("thead", {}, h("tr", {}, ...["name", "pid", "CPU %", "RSS MiB"].map((t) => h("th", { scope: "col" }, t))));
    this.scope.mount(host, h("h2", {}, "Top processes"));
    this.scope.mount(host, h("table", { class: "processes", "data-testid": "processes" }, head, this.body));
    this.scope.add(frame.add(this));
    this.scope.watch(state.data, () => frame.invalidate(this));
    this.scope.watch(state.machine, () => frame.invalidate(this));
  }

  render(): void {
    // The list is read from the Processes status's latest, which each update replaces with a new
    // object: the same object (or still none) means the same list, so the frame has nothing to do.
    const { store, machine } = this.state;
    const latest = machineStatuses(store, machine.value).Processes?.latest;
    if (latest === this.shown) return;
    this.shown = latest;
    const list = processes(store, machine.value);
    // A new status may list the same processes: the rows are then left as they are.
    const signature = JSON.stringify(list);
    if (signature === this.signature) return;
    this.signature = signature;
    this.body.replaceChildren(
      ...list.map((p) =>
        h(
          "tr",
          {},
          // A name can be a whole command line: two lines of it, all of it on hover.
          h("td", { title: p.name }, h("span", { class: "clamp" }, p.name)),
          ...[
            p.pid === undefined ? "" : String(p.pid),
            p.cpu === undefined ? "" : p.cpu.toFixed(1),
            p.rssMiB === undefined ? "" : p.rssMiB.toFixed(1),
          ].map((text) => h("td", {}, text)),
        ),
      ),
    );
  }

  dispose(): void {
    this.scope.dispose();
  }
}
