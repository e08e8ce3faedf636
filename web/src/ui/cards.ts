// The current-value cards of the selected machine (system_metrics' CPU, memory, ...).
import { formatValue, levelClass, levelName } from "../format";
import { cards } from "../metrics";
import type { PageState } from "../page-state";
import { h, setClass, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const CARDS: [string, string][] = [
  ["cpu", "CPU"],
  ["memory", "Memory"],
  ["temperature", "Temperature"],
  ["disk", "Disk"],
  ["rx", "Network rx"],
  ["tx", "Network tx"],
];

interface CardElements {
  card: HTMLElement;
  label: HTMLElement;
  value: HTMLElement;
}

export class CardsView implements Part {
  readonly name = "cards";
  private readonly scope = new Scope();
  private readonly elements = new Map<string, CardElements>();

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    for (const [id, text] of CARDS) {
      const label = h("span", { class: "label" }, text);
      const value = h("span", { class: "value" }, "—");
      const card = h("div", { class: "card level-none", "data-testid": `card-${id}` }, label, value);
      this.scope.mount(host, card);
      this.elements.set(id, { card, label, value });
    }
    this.scope.add(frame.add(this));
    this.scope.watch(state.data, () => frame.invalidate(this));
    this.scope.watch(state.machine, () => frame.invalidate(this));
  }

  render(): void {
    for (const card of cards(this.state.store, this.state.machine.value)) {
      const el = this.elements.get(card.id);
      if (el === undefined) continue;
      setText(el.label, card.label);
      setText(el.value, formatValue(card.value, card.unit));
      setClass(el.card, `card ${levelClass(card.level)}`);
      setData(el.card, "level", levelName(card.level));
      setData(el.card, "value", card.value === undefined ? "" : String(card.value));
    }
  }

  dispose(): void {
    this.scope.dispose();
  }
}
