// The footer: message counters and the last problem seen (protocol mismatch, malformed, unknown).
import type { PageState } from "../page-state";
import { PROTOCOL_VERSION } from "../protocol";
import { MAX_STATUSES } from "../store";
import { h, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const COUNTERS = ["messages", "unknown", "malformed", "dropped"] as const;

export class CountersView implements Part {
  readonly name = "counters";
  private readonly scope = new Scope();
  private readonly counts = new Map<(typeof COUNTERS)[number], HTMLElement>();
  private readonly problem = h("span", { class: "last-problem", "data-testid": "last-problem" });

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    COUNTERS.forEach((name, i) => {
      const el = h("span", { "data-testid": `count-${name}` }, "0");
      this.counts.set(name, el);
      this.scope.mount(host, document.createTextNode(`${i ? " · " : ""}${name} `));
      this.scope.mount(host, el);
    });
    this.scope.mount(host, this.problem);
    this.scope.add(frame.add(this));
    this.scope.watch(state.messages, () => frame.invalidate(this));
  }

  render(): void {
    const c = this.state.store.counters;
    for (const [name, el] of this.counts) setText(el, String(c[name]));
    const hello = this.state.store.hello;
    const problems: string[] = [];
    if (hello !== undefined && hello.protocol !== PROTOCOL_VERSION) {
      problems.push(`bridge speaks protocol ${hello.protocol}, this page ${PROTOCOL_VERSION}`);
    }
    if (c.evicted > 0) problems.push(`${c.evicted} least recently updated statuses forgotten (the page keeps ${MAX_STATUSES})`);
    if (c.rejectedStatuses > 0) problems.push(`${c.rejectedStatuses} invalid statuses left out`);
    if (c.lastMalformed) problems.push(`last malformed: ${c.lastMalformed}`);
    if (c.lastUnknown) problems.push(`last unknown type: ${c.lastUnknown}`);
    setText(this.problem, problems.join(" · "));
  }

  dispose(): void {
    this.scope.dispose();
  }
}
