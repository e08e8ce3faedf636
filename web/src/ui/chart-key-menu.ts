// Where a key charted from a status's detail pane goes: a new chart panel, or one the user added
// before (issue 10: any numeric key of any status, in a chart panel the user adds). The choices
// and their rules are pure (chart-layout.ts panelChoices); this is their few buttons.
import { addSeries, panelChoices, type CustomSeries } from "../chart-layout";
import type { PageState } from "../page-state";
import { h } from "./dom";

const MENU = "chart-menu";

/**
 * Charts `s`. With no panel yet it goes straight into a new one. Otherwise a small menu opens in
 * `host` (the detail cell: the pane's value list is rebuilt at every update, its cell is not)
 * offering a new panel and every existing one; a panel that cannot take the key says why.
 */
export function chartKeyInto(host: HTMLElement, state: PageState, s: CustomSeries): void {
  closeChartMenu(host);
  const layout = state.customCharts.value;
  if (layout.length === 0) {
    state.customCharts.set(addSeries(layout, s));
    return;
  }
  const menu = h("div", { class: MENU, role: "group", "aria-label": `Chart ${s.key} in`, "data-testid": MENU, "data-key": s.key }, h("span", {}, `Chart ${s.key} in: `));
  const done = () => {
    menu.remove();
    // Back to the status's row: the button that opened the menu may have been rebuilt since.
    const row = host.closest("tr")?.previousElementSibling;
    if (row instanceof HTMLElement) row.focus();
  };
  for (const c of panelChoices(layout, s)) {
    const text = c.refused === undefined ? c.label : `${c.label} (${c.refused})`;
    const button = h("button", { type: "button", "data-testid": "chart-into", "data-panel": c.into ?? "new", disabled: c.refused !== undefined }, text);
    button.addEventListener("click", () => {
      // The layout as it is now: a panel removed meanwhile means a new one (addSeries).
      state.customCharts.set(addSeries(state.customCharts.value, s, c.into));
      done();
    });
    menu.append(button, " ");
  }
  const cancel = h("button", { type: "button", "data-testid": "chart-menu-cancel" }, "Cancel");
  cancel.addEventListener("click", done);
  menu.append(cancel);
  menu.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") done();
  });
  // Right under the value list (the cell's first child), above the level history.
  const values = host.firstElementChild;
  if (values !== null) values.after(menu);
  else host.append(menu);
  menu.querySelector<HTMLButtonElement>("button:not([disabled])")?.focus();
}

/** Closes the menu in `host`, if one is open (its choices would be stale). */
export function closeChartMenu(host: HTMLElement): void {
  host.querySelector(`:scope > .${MENU}`)?.remove();
}
