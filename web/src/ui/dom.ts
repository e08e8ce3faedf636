// DOM helpers shared by the page (app.ts) and the status table.

/** Sets an element's text only when it differs: an unchanged value costs no DOM write. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
