// The controls above the charts: machine picker, time range, CSV export.
import type { PageState } from "../page-state";
import { h } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const RANGES: [number, string][] = [
  [60, "1 min"],
  [300, "5 min"],
  [900, "15 min"],
  [3600, "1 h"],
];

export class ControlsView implements Part {
  readonly name = "machines";
  private readonly scope = new Scope();
  private readonly picker = h("select", { "data-testid": "machine-picker", disabled: true });
  private shownList: readonly string[] | undefined;

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler, csv: () => void) {
    const s = this.scope;
    const range = h(
      "select",
      { "data-testid": "range-select" },
      ...RANGES.map(([v, label]) => h("option", { value: v }, label)),
    );
    range.value = String(state.range.value);
    const exportButton = h("button", { type: "button", "data-testid": "csv-export" }, "Export CSV");
    s.mount(host, h("label", {}, "Machine ", this.picker));
    s.mount(host, h("label", {}, "Range ", range));
    s.mount(host, exportButton);
    s.on(this.picker, "change", () => state.machine.set(this.picker.value));
    s.on(range, "change", () => state.range.set(Number(range.value)));
    s.on(exportButton, "click", csv);
    s.add(frame.add(this));
    s.watch(state.machines, () => frame.invalidate(this));
    s.watch(state.machine, () => frame.invalidate(this));
  }

  render(): void {
    const list = this.state.machines.value;
    if (list !== this.shownList) {
      this.shownList = list;
      this.picker.replaceChildren(...list.map((id) => h("option", { value: id }, id)));
      this.picker.disabled = list.length < 2;
    }
    const machine = this.state.machine.value;
    if (this.picker.value !== machine) this.picker.value = machine;
  }

  dispose(): void {
    this.scope.dispose();
  }
}
