// DOM helpers shared by the page (app.ts) and the status table: each writes only on change.

/** Sets an element's text only when it differs: an unchanged value costs no DOM write. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Sets a data-* attribute only when it differs, for the same reason. */
export function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}
