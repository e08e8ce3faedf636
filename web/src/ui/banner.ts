// The alert banner: every WARN and ERROR status, most severe first.
import { levelClass, levelName } from "../format";
import type { PageState } from "../page-state";
import { isStale } from "../store";
import { h } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

export class BannerView implements Part {
  readonly name = "banner";
  private readonly scope = new Scope();
  private readonly el = h("div", { class: "banner", "data-testid": "alert-banner", role: "alert", hidden: true });
  private signature = "";

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    this.scope.mount(host, this.el);
    this.scope.add(frame.add(this));
    this.scope.watch(state.data, () => frame.invalidate(this));
    this.scope.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(now: number): void {
    const alerts = this.state.store.alerts().map((e) => ({ e, stale: isStale(e, now) }));
    const signature = alerts
      .map(({ e, stale }) => `${e.latest?.level}|${e.hardwareId}|${e.name}|${e.latest?.message}|${stale}`)
      .join("\n");
    if (signature === this.signature) return;
    this.signature = signature;
    const banner = this.el;
    banner.hidden = alerts.length === 0;
    banner.dataset["level"] = alerts.length ? levelName(alerts[0]?.e.latest?.level) : "";
    banner.replaceChildren(
      ...alerts.map(({ e, stale }) => {
        const level = levelName(e.latest?.level);
        return h(
          "div",
          { class: `alert ${levelClass(e.latest?.level)}`, "data-testid": "alert-item", "data-name": e.name, "data-level": level },
          `${level} ${e.name} [${e.hardwareId}]: ${e.latest?.message ?? ""}${stale ? " (stale)" : ""}`,
        );
      }),
    );
  }

  dispose(): void {
    this.scope.dispose();
  }
}
