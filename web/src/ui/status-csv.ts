// One status's values as CSV from the bridge's durable history (GET /history.csv with `status`),
// over the selected range: a button in the status's detail pane (issue 10, "CSV export from the
// store: any status"). The machine's whole export is the controls' Export CSV.
import { h } from "./dom";

/** Builds the download's URL for [from, to] (Unix seconds). */
export type StatusCsvUrl = (hardwareId: string, name: string, from: number, to: number) => string;

const CLASS = "status-csv";

/**
 * Adds the button to `host` (the detail cell), replacing one already there. The URL is built at
 * the click, so that it covers the range selected then.
 */
export function addStatusCsv(host: HTMLElement, url: () => string): void {
  removeStatusCsv(host);
  const button = h("button", { type: "button", class: CLASS, "data-testid": "status-csv", title: "This status's values and levels over the selected range, from the bridge's history" }, "Export values CSV");
  button.addEventListener("click", () => {
    const a = h("a", { href: url(), download: "", "data-testid": "status-csv-link" });
    document.body.append(a);
    a.click();
    a.remove();
  });
  host.append(button);
}

export function removeStatusCsv(host: HTMLElement): void {
  host.querySelector(`:scope > .${CLASS}`)?.remove();
}
