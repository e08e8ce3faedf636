// A level as text plus a mark (✓ ▲ ✕ ?), never colour alone (issue 11 item 8).
import { levelClass, levelName } from "../format";
import { levelIcon } from "../levels";
import { h, setClass, setText } from "./dom";

export function levelBadge(): HTMLElement {
  return h("span", { class: "badge level-none" }, h("span", { class: "icon", "aria-hidden": "true" }), h("span", { class: "text" }));
}

export function setLevelBadge(badge: HTMLElement, level: number | undefined): void {
  setClass(badge, `badge ${levelClass(level)}`);
  setText(badge.firstElementChild as HTMLElement, levelIcon(level));
  setText(badge.lastElementChild as HTMLElement, levelName(level));
}

/**
 * A status name with line-break opportunities after its separators ('/', ':', '_', '.', '-'), so
 * that a long name wraps there on a phone rather than mid-word.
 */
export function breakableName(name: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const piece of name.split(/(?<=[/:_.\-])/)) {
    frag.append(piece, document.createElement("wbr"));
  }
  return frag;
}
