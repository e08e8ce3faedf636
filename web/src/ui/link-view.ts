// The top bar: link state and its reason, the bridge's host name, and the connect button.
import type { PageState } from "../page-state";
import { h, setData, setText } from "./dom";
import type { Part, FrameScheduler } from "./frame";
import { Scope } from "./scope";

export type LinkAction = "connect" | "disconnect";

export class LinkView implements Part {
  readonly name = "link";
  private readonly scope = new Scope();
  private readonly hostname = h("span", { class: "hostname", "data-testid": "hostname" });
  private readonly stateEl = h("span", {
    class: "link-state",
    "data-testid": "link-state",
    "data-state": "disconnected",
    role: "status",
    "aria-live": "polite",
  });
  private readonly detail = h("span", { class: "link-detail", "data-testid": "link-detail" });
  private readonly button = h("button", { type: "button", "data-testid": "connect-button", "data-action": "connect" });

  constructor(
    host: HTMLElement,
    private readonly state: PageState,
    frame: FrameScheduler,
    onAction: (action: LinkAction) => void,
  ) {
    const s = this.scope;
    s.mount(host, h("h1", {}, "ChedWeb"));
    s.mount(host, this.hostname);
    s.mount(host, h("span", { class: "link" }, this.stateEl, this.detail));
    s.mount(host, this.button);
    s.on(this.button, "click", () => onAction(this.button.dataset["action"] === "disconnect" ? "disconnect" : "connect"));
    s.add(frame.add(this));
    s.watch(state.link, () => frame.invalidate(this));
    s.watch(state.messages, () => frame.invalidate(this));
  }

  render(): void {
    const { state, detail } = this.state.link.value;
    setData(this.stateEl, "state", state);
    setText(this.stateEl, state);
    setText(this.detail, detail);
    const connected = state !== "disconnected" && state !== "error";
    setText(this.button, connected ? "Disconnect" : "Connect");
    setData(this.button, "action", connected ? "disconnect" : "connect");
    const hello = this.state.store.hello;
    setText(this.hostname, hello ? `${hello.hostname} · bridge ${hello.version}` : "");
  }

  dispose(): void {
    this.scope.dispose();
  }
}
