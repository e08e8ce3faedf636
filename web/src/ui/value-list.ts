// A status's values as a <dl>, updated in place: each key keeps its <dt>/<dd> and its "chart"
// button from one message to the next, and only a text that changed is rewritten. A list rebuilt
// at every message (10 Hz for a busy status) replaced the button under the pointer, so a click
// whose press and release straddled a message was lost.
import { h, placeChildren, setText } from "./dom";

export interface ValueLine {
  /** Stable identity of the line within the list (a key, or a fixed name for the others). */
  id: string;
  label: string;
  value: string;
  /** `data-testid` of the value, if a test or a reader looks it up. */
  testid?: string;
  /** The key a "chart" button offers to chart; none for a value that is not numeric. */
  chartKey?: string;
}

interface Line {
  dt: HTMLElement;
  dd: HTMLElement;
  text: Text;
  button: HTMLButtonElement | undefined;
}

export class ValueList {
  readonly el = h("dl", { class: "values" });
  private lines = new Map<string, Line>();

  update(wanted: readonly ValueLine[]): void {
    const lines = new Map<string, Line>();
    const nodes: Node[] = [];
    for (const want of wanted) {
      const line = this.lines.get(want.id) ?? newLine(want);
      setText(line.dt, want.label);
      if (line.text.data !== want.value) line.text.data = want.value;
      setChartButton(line, want.chartKey);
      lines.set(want.id, line);
      nodes.push(line.dt, line.dd);
    }
    this.lines = lines;
    placeChildren(this.el, nodes);
  }
}

function newLine(want: ValueLine): Line {
  const text = document.createTextNode("");
  const dd = h("dd", want.testid ? { "data-testid": want.testid } : {}, text);
  return { dt: h("dt"), dd, text, button: undefined };
}

function setChartButton(line: Line, key: string | undefined): void {
  if (line.button?.dataset["key"] === key) return;
  line.button?.previousSibling?.remove(); // the space before it
  line.button?.remove();
  line.button = undefined;
  if (key === undefined) return;
  line.button = h("button", { type: "button", class: "chart-key", "data-testid": "chart-key", "data-key": key, title: `Chart ${key}` }, "chart");
  line.dd.append(" ", line.button);
}
