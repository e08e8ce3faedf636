// "Link down since ...": when the link to the bridge is not live after having been, one notice
// says so, and the page greys everything that shows data (body[data-link="down"], style.css):
// the values on screen are the last ones received, not the robot's current state.
import { formatAge, formatClock } from "../format";
import type { PageState } from "../page-state";
import { h, setData, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

export class LinkNotice implements Part {
  readonly name = "link-notice";
  private readonly scope = new Scope();
  private readonly el = h("div", { class: "link-notice", "data-testid": "link-down", role: "status", hidden: true });

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    this.scope.mount(host, this.el);
    this.scope.add(() => delete document.body.dataset["link"]);
    this.scope.add(frame.add(this));
    this.scope.onAny([state.link, state.messages], () => frame.invalidate(this));
    this.scope.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(now: number): void {
    const down = this.state.linkDown();
    setData(document.body, "link", down ? "down" : "up");
    this.el.hidden = !down;
    if (!down) return;
    const { state, detail, sinceMs } = this.state.link.value;
    setData(this.el, "since", String(sinceMs));
    setText(
      this.el,
      `Link down since ${formatClock(sinceMs)} (${formatAge(now - sinceMs)}): ${state}${detail ? ` · ${detail}` : ""}. ` +
        "Values shown are the last received.",
    );
  }

  dispose(): void {
    this.scope.dispose();
  }
}
