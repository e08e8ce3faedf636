// With the bridge up and nothing published, one box says what to check (issue 11 item 7), instead
// of empty cards and four "no data from this machine" charts: the machine sections are hidden
// until some machine publishes system_metrics statuses (body[data-machines="none"], style.css).
import type { PageState } from "../page-state";
import { h, setData } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

export class EmptyState implements Part {
  readonly name = "empty";
  private readonly scope = new Scope();
  private readonly topics = h("span", { "data-testid": "empty-topics" });
  private readonly host = h("span");
  private readonly el: HTMLElement;

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    this.el = h(
      "section",
      { class: "empty-state panel", "data-testid": "empty-state", hidden: true, "aria-labelledby": "empty-title" },
      h("h2", { id: "empty-title" }, "Connected, but no diagnostics yet"),
      h("p", {}, "The bridge on ", this.host, " is up and forwards ", this.topics, ", but nothing has been published there. Check:"),
      h(
        "ul",
        {},
        h("li", {}, "that nodes publish on those topics: ", h("code", {}, "ros2 topic info -v /diagnostics"), " on the robot (system_metrics, diagnostic_aggregator, your drivers), or the bridge's ", h("code", {}, "topics"), " parameter;"),
        h("li", {}, "that the publishers and the bridge share one ", h("code", {}, "ROS_DOMAIN_ID"), " (and ", h("code", {}, "ROS_AUTOMATIC_DISCOVERY_RANGE"), " lets them see each other);"),
        h("li", {}, "that they use the same RMW (", h("code", {}, "RMW_IMPLEMENTATION"), "), or ones that interoperate."),
      ),
    );
    this.scope.mount(host, this.el);
    this.scope.add(() => delete document.body.dataset["machines"]);
    this.scope.add(frame.add(this));
    this.scope.onAny([state.messages, state.machines, state.link], () => frame.invalidate(this));
  }

  render(): void {
    const { store, machines } = this.state;
    setData(document.body, "machines", machines.value.length > 0 ? "some" : "none");
    // Only once the bridge has said hello and sent its snapshot: before that, empty means "not yet".
    const empty = store.hello !== undefined && store.counters.snapshot > 0 && store.entries.size === 0;
    this.el.hidden = !empty;
    if (!empty || store.hello === undefined) return;
    this.host.textContent = store.hello.hostname;
    this.topics.textContent = store.hello.topics.join(", ") || "(no topics)";
  }

  dispose(): void {
    this.scope.dispose();
  }
}
