// The controls above the charts: machine picker, time range, CSV export.
import type { PageState } from "../page-state";
import { RANGE_CHOICES } from "../range-data";
import { h } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

/** datetime-local text of a Unix time, in the browser's time zone. */
function localInput(t: number): string {
  const d = new Date(t * 1000 - new Date(t * 1000).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

export class ControlsView implements Part {
  readonly name = "machines";
  private readonly scope = new Scope();
  private readonly picker = h("select", { "data-testid": "machine-picker", disabled: true });
  private shownList: readonly string[] | undefined;
  private readonly reset: HTMLButtonElement;
  private readonly range: HTMLSelectElement;

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler, csv: () => void) {
    const s = this.scope;
    const range = (this.range = h(
      "select",
      { "data-testid": "range-select" },
      ...RANGE_CHOICES.map(([v, label]) => h("option", { value: v }, label)),
      h("option", { value: "custom" }, "custom"),
    ));
    range.value = String(state.range.value);
    const exportButton = h("button", { type: "button", "data-testid": "csv-export" }, "Export CSV");
    const fromInput = h("input", { type: "datetime-local", "data-testid": "custom-from", "aria-label": "From" });
    const toInput = h("input", { type: "datetime-local", "data-testid": "custom-to", "aria-label": "To" });
    const apply = h("button", { type: "button", "data-testid": "custom-apply" }, "Show");
    const custom = h("span", { class: "custom-range", hidden: true }, fromInput, " to ", toInput, apply);
    const back = h("button", { type: "button", "data-testid": "pan-back", title: "Earlier" }, "◀");
    const fwd = h("button", { type: "button", "data-testid": "pan-forward", title: "Later" }, "▶");
    const reset = h("button", { type: "button", "data-testid": "zoom-reset", title: "Back to the range ending now" }, "Reset zoom");
    this.reset = reset;
    s.mount(host, h("label", {}, "Machine ", this.picker));
    s.mount(host, h("label", {}, "Range ", range));
    s.mount(host, custom);
    s.mount(host, h("span", { class: "pan" }, back, fwd, reset));
    s.mount(host, exportButton);
    s.on(this.picker, "change", () => state.machine.set(this.picker.value));
    s.on(range, "change", () => {
      if (range.value === "custom") {
        custom.hidden = false;
        const now = state.now() / 1000;
        const [a, b] = state.zoom.value ?? [now - state.range.value, now];
        fromInput.value = localInput(a);
        toInput.value = localInput(b);
        return;
      }
      custom.hidden = true;
      state.zoom.set(undefined);
      state.range.set(Number(range.value));
    });
    s.on(apply, "click", () => {
      const a = new Date(fromInput.value).getTime() / 1000;
      const b = new Date(toInput.value).getTime() / 1000;
      if (Number.isFinite(a) && Number.isFinite(b) && b > a) state.zoom.set([a, b]);
    });
    // Pan by half the window; a window ending now becomes a fixed one.
    const pan = (dir: number) => {
      const now = state.now() / 1000;
      const [a, b] = state.zoom.value ?? [now - state.range.value, now];
      const d = ((b - a) / 2) * dir;
      state.zoom.set([a + d, b + d]);
    };
    s.on(back, "click", () => pan(-1));
    s.on(fwd, "click", () => pan(1));
    s.on(reset, "click", () => {
      custom.hidden = true;
      if (range.value === "custom") range.value = String(state.range.value);
      state.zoom.set(undefined);
    });
    s.onAny([state.zoom, state.range], () => frame.invalidate(this));
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
    this.reset.disabled = this.state.zoom.value === undefined;
    if (this.range.value !== "custom" && this.range.value !== String(this.state.range.value)) this.range.value = String(this.state.range.value);
    const machine = this.state.machine.value;
    if (this.picker.value !== machine) this.picker.value = machine;
  }

  dispose(): void {
    this.scope.dispose();
  }
}
