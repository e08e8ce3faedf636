// The current-value cards of the selected machine (system_metrics' CPU, memory, ...).
import { formatAge, formatValue, levelClass, levelName } from "../format";
import { STALE, isStale } from "../levels";
import { cards, machineStatuses, type Task } from "../metrics";
import type { PageState } from "../page-state";
import { h, setClass, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { levelBadge, setLevelBadge } from "./level-badge";
import { Scope } from "./scope";

/** Card id, label, and the system_metrics task it reads. */
const CARDS: [string, string, Task][] = [
  ["cpu", "CPU", "CPU"],
  ["memory", "Memory", "Memory"],
  ["temperature", "Temperature", "Temperature"],
  ["disk", "Disk", "Disk"],
  ["rx", "Network rx", "Network"],
  ["tx", "Network tx", "Network"],
];

interface CardElements {
  card: HTMLElement;
  label: HTMLElement;
  value: HTMLElement;
  badge: HTMLElement;
  note: HTMLElement;
  task: Task;
}

export class CardsView implements Part {
  readonly name = "cards";
  private readonly scope = new Scope();
  private readonly elements = new Map<string, CardElements>();

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    for (const [id, text, task] of CARDS) {
      const label = h("span", { class: "label" }, text);
      const value = h("span", { class: "value" }, "—");
      const badge = levelBadge();
      const note = h("span", { class: "note", "data-testid": `card-${id}-note` });
      const card = h("div", { class: "card level-none", "data-testid": `card-${id}`, role: "group", "aria-label": text }, label, value, badge, note);
      this.scope.mount(host, card);
      this.elements.set(id, { card, label, value, badge, note, task });
    }
    this.scope.add(frame.add(this));
    this.scope.onAny([state.data, state.machine, state.staleMs, state.link], () => frame.invalidate(this));
    this.scope.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(now: number): void {
    const { store, machine, staleMs } = this.state;
    const statuses = machineStatuses(store, machine.value);
    const linkDown = this.state.linkDown();
    for (const card of cards(store, machine.value)) {
      const el = this.elements.get(card.id);
      if (el === undefined) continue;
      const entry = statuses[el.task];
      // A value not updated within the stale timeout is shown as STALE, greyed, and says so.
      const stale = entry !== undefined && isStale(entry, now, staleMs.value);
      const level = stale ? STALE : card.level;
      setText(el.label, card.label);
      setText(el.value, formatValue(card.value, card.unit));
      setClass(el.card, `card ${levelClass(level)}${stale || linkDown ? " stale" : ""}`);
      setLevelBadge(el.badge, level);
      setData(el.card, "level", levelName(level));
      setData(el.card, "stale", String(stale));
      setData(el.card, "value", card.value === undefined ? "" : String(card.value));
      setText(el.note, linkDown ? "link down" : stale && entry ? `no update for ${formatAge(now - entry.updatedMs)}` : "");
    }
  }

  dispose(): void {
    this.scope.dispose();
  }
}
