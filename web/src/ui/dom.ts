// DOM helpers shared by the views: `h` builds an element; the setters write only on change.

type Attrs = Record<string, string | number | boolean | undefined>;

/**
 * An element with attributes and children. `data-*`, `aria-*`, `role`, `class` and the like are
 * set as attributes; `false`/`undefined` leave an attribute out, `true` sets it empty.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

/** Sets an element's text only when it differs: an unchanged value costs no DOM write. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Sets a data-* attribute only when it differs, for the same reason. */
export function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}

/** Sets an attribute only when it differs. */
export function setAttr(el: HTMLElement, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Sets the class attribute only when it differs. */
export function setClass(el: HTMLElement, cls: string): void {
  if (el.className !== cls) el.className = cls;
}

/**
 * Makes `nodes` the children of `parent`, in order, moving only those not already in place: a
 * node already followed by the one after it stays attached (no restyle, no relayout of it, focus
 * kept), so adding a few rows to a long list costs those rows, not the list. Other children go.
 */
export function placeChildren(parent: Node, nodes: readonly Node[]): void {
  const wanted = new Set(nodes);
  let cursor = parent.firstChild;
  for (const node of nodes) {
    // Children that are not wanted any more leave first, so they do not push the rest around.
    while (cursor !== null && !wanted.has(cursor)) {
      const next: ChildNode | null = cursor.nextSibling;
      parent.removeChild(cursor);
      cursor = next;
    }
    if (node === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(node, cursor);
  }
  while (cursor !== null) {
    const next: ChildNode | null = cursor.nextSibling;
    parent.removeChild(cursor);
    cursor = next;
  }
}
