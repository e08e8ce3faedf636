// The alert banner: stays in view (sticky) and can be collapsed to its one-line summary. Lists
// the alerts of alerts.ts, each with its level as text and mark, and where the bridge offers the
// "alerts" capability, Acknowledge and Mute buttons and who did either when.
import { ackOf, muteOf } from "../alert-book";
import { activeAlerts, type Alert } from "../alerts";
import { formatClock, levelName } from "../format";
import type { PageState } from "../page-state";
import { h, placeChildren, setAttr, setClass, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { levelBadge, setLevelBadge } from "./level-badge";
import { Scope } from "./scope";

export interface AlertActions {
  acknowledge(alert: Alert): void;
  mute(alert: Alert, seconds: number): void;
  unmute(alert: Alert): void;
}

const MUTE_CHOICES: [number, string][] = [
  [300, "5 min"],
  [1800, "30 min"],
  [7200, "2 h"],
  [28800, "8 h"],
];

export class BannerView implements Part {
  readonly name = "banner";
  private readonly scope = new Scope();
  private readonly el = h("section", { class: "banner", "data-testid": "alert-banner", "aria-label": "Alerts", hidden: true });
  private readonly toggle = h("button", { type: "button", class: "banner-toggle", "data-testid": "banner-toggle", "aria-expanded": "true" });
  private readonly summary = h("span", { class: "banner-summary", "data-testid": "alert-summary", role: "status", "aria-live": "polite" });
  private readonly list = h("ul", { class: "alert-list", id: "alert-list" });
  private readonly result = h("span", { class: "action-result", "data-testid": "action-result", role: "status" });
  private collapsed = false;
  private signature = "";
  /** The alerts on screen, by key (the buttons' handlers look them up). */
  private shown = new Map<string, Alert>();
  /** Each alert's list item, by key: updated in place, so its controls outlive a new message. */
  private items = new Map<string, AlertItem>();

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler, actions: AlertActions) {
    const s = this.scope;
    this.toggle.setAttribute("aria-controls", "alert-list");
    this.el.append(h("div", { class: "banner-head" }, this.toggle, this.summary, this.result), this.list);
    s.mount(host, this.el);
    s.on(this.toggle, "click", () => {
      // At once, not on the next frame: the click's answer should not wait for data.
      this.collapsed = !this.collapsed;
      this.applyCollapsed();
    });
    s.on(this.list, "click", (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest("button[data-action]") : null;
      const item = button?.closest<HTMLElement>("[data-key]");
      const alert = this.shown.get(item?.dataset["key"] ?? "");
      if (!(button instanceof HTMLButtonElement) || alert === undefined) return;
      const action = button.dataset["action"];
      if (action === "ack") actions.acknowledge(alert);
      else if (action === "unmute") actions.unmute(alert);
      else if (action === "mute") {
        const select = item?.querySelector<HTMLSelectElement>("select");
        actions.mute(alert, Number(select?.value ?? MUTE_CHOICES[0]?.[0]));
      }
    });
    s.add(frame.add(this));
    s.watch(state.actionResult, (text) => setText(this.result, text));
    s.onAny([state.data, state.alertBook, state.capabilities, state.staleMs, state.link], () => frame.invalidate(this));
    s.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(now: number): void {
    const { store, staleMs, alertBook, capabilities } = this.state;
    // With the link down nothing is current: the link notice says so instead of a STALE per status.
    const alerts = this.state.linkDown() ? [] : activeAlerts(store, now, staleMs.value);
    const book = alertBook.value;
    const actionable = capabilities.value.includes("alerts");
    const rows = alerts.map((a) => ({ a, ack: ackOf(book, a), mute: muteOf(book, a, now) }));
    const signature =
      `${this.collapsed}|${actionable}\n` +
      rows.map(({ a, ack, mute }) => `${a.key}|${a.level}|${a.message}|${ack?.by}@${ack?.at}|${mute?.by}@${mute?.until}`).join("\n");
    if (signature === this.signature) return;
    this.signature = signature;
    this.shown = new Map(alerts.map((a) => [a.key, a]));
    this.el.hidden = alerts.length === 0;
    const open = rows.filter((r) => r.ack === undefined && r.mute === undefined);
    setData(this.el, "level", levelName(open[0]?.a.level ?? alerts[0]?.level));
    this.applyCollapsed();
    const counts = new Map<string, number>();
    for (const { a } of open) counts.set(levelName(a.level), (counts.get(levelName(a.level)) ?? 0) + 1);
    const handled = alerts.length - open.length;
    setText(
      this.summary,
      `${open.length} active alert${open.length === 1 ? "" : "s"}` +
        (counts.size ? `: ${[...counts].map(([l, n]) => `${n} ${l}`).join(", ")}` : "") +
        (handled ? ` · ${handled} acknowledged or muted` : ""),
    );
    // Items are kept and updated in place, never rebuilt for a new message: an alert whose message
    // carries a reading changes at every message, and a rebuilt item would drop the mute duration
    // being chosen and lose a click whose press and release straddle the rebuild.
    const items = new Map<string, AlertItem>();
    for (const { a, ack, mute } of rows) {
      const item = this.items.get(a.key) ?? newItem(a.key);
      updateItem(item, a, ack, mute, actionable);
      items.set(a.key, item);
    }
    this.items = items;
    placeChildren(this.list, [...items.values()].map((item) => item.li));
    // The list's height changes the page under a sticky banner: keep the scroll margin in step.
    document.documentElement.style.setProperty("--banner-height", `${this.el.offsetHeight}px`);
  }

  private applyCollapsed(): void {
    setData(this.el, "collapsed", String(this.collapsed));
    setAttr(this.toggle, "aria-expanded", String(!this.collapsed));
    setText(this.toggle, this.collapsed ? "▸ Show alerts" : "▾ Hide alerts");
    this.list.hidden = this.collapsed;
  }

  dispose(): void {
    document.documentElement.style.removeProperty("--banner-height");
    this.scope.dispose();
  }
}

/** One alert's list item: its parts that change are kept to be updated in place. */
interface AlertItem {
  li: HTMLLIElement;
  badge: HTMLElement;
  text: HTMLElement;
  /** Who acknowledged or muted, and the buttons, rebuilt only when that state changes. */
  tail: Node[];
  tailState: string;
}

function newItem(key: string): AlertItem {
  const badge = levelBadge();
  const text = h("span", { class: "alert-text" });
  const li = h("li", { "data-testid": "alert-item", "data-key": key }, badge, text);
  return { li, badge, text, tail: [], tailState: "" };
}

function updateItem(item: AlertItem, a: Alert, ack: ReturnType<typeof ackOf>, mute: ReturnType<typeof muteOf>, actionable: boolean): void {
  const { li } = item;
  setClass(li, `alert${ack || mute ? " handled" : ""}`);
  setData(li, "kind", a.kind);
  setData(li, "name", a.name);
  setData(li, "hardwareId", a.hardwareId);
  setData(li, "level", levelName(a.level));
  setData(li, "acked", String(ack !== undefined));
  setData(li, "muted", String(mute !== undefined));
  setLevelBadge(item.badge, a.level);
  const what = a.kind === "offline" ? `machine ${a.hardwareId} (${a.count} statuses)` : `${a.name} [${a.hardwareId}]`;
  setText(item.text, ` ${what}: ${a.message}`);
  const tailState = `${actionable}|${ack?.by}@${ack?.at}|${mute?.by}@${mute?.until}`;
  if (tailState === item.tailState) return;
  item.tailState = tailState;
  for (const node of item.tail) li.removeChild(node);
  item.tail = tailNodes(a, ack, mute, actionable);
  li.append(...item.tail);
}

function tailNodes(a: Alert, ack: ReturnType<typeof ackOf>, mute: ReturnType<typeof muteOf>, actionable: boolean): Node[] {
  const tail: Node[] = [];
  if (ack) tail.push(h("span", { class: "handled-by", "data-testid": "ack-info" }, ` acknowledged by ${ack.by} at ${formatClock(ack.at * 1000)}`));
  if (mute) tail.push(h("span", { class: "handled-by", "data-testid": "mute-info" }, ` muted by ${mute.by} until ${formatClock(mute.until * 1000)}`));
  if (actionable) {
    const label = a.kind === "offline" ? `machine ${a.hardwareId}` : a.name;
    const actions = h("span", { class: "alert-actions" });
    if (!ack) actions.append(h("button", { type: "button", "data-action": "ack", "data-testid": "ack-button", "aria-label": `Acknowledge ${label}` }, "Acknowledge"));
    if (mute) actions.append(h("button", { type: "button", "data-action": "unmute", "data-testid": "unmute-button", "aria-label": `Unmute ${label}` }, "Unmute"));
    else {
      actions.append(
        h("select", { "aria-label": `Mute ${label} for`, "data-testid": "mute-duration" }, ...MUTE_CHOICES.map(([v, t]) => h("option", { value: v }, t))),
        h("button", { type: "button", "data-action": "mute", "data-testid": "mute-button", "aria-label": `Mute ${label}` }, "Mute"),
      );
    }
    tail.push(actions);
  }
  return tail;
}
