// A manual light/dark switch (issue 11 item 8): system → light → dark, remembered in
// localStorage. The choice is <html data-theme>, which style.css reads before the system's.
import type { PageState, Theme } from "../page-state";
import { h, setAttr, setText } from "./dom";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const KEY = "chedweb.theme";
const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };

function stored(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system"; // storage refused (private mode, file://): the system's scheme
  }
}

export class ThemeSwitch implements Part {
  readonly name = "theme";
  private readonly scope = new Scope();
  private readonly button = h("button", { type: "button", class: "theme-switch", "data-testid": "theme-switch" });

  constructor(host: HTMLElement, private readonly state: PageState, frame: FrameScheduler) {
    state.theme.set(stored());
    this.scope.mount(host, this.button);
    this.scope.on(this.button, "click", () => {
      const next = NEXT[state.theme.value];
      state.theme.set(next);
      try {
        if (next === "system") localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, next);
      } catch {
        // Not remembered; the switch still works for this page.
      }
    });
    this.scope.add(() => delete document.documentElement.dataset["theme"]);
    this.scope.add(frame.add(this));
    // The scheme changes at once (not on the next frame): the charts, which read their colours
    // from CSS when they rebuild, then see the new ones.
    const apply = (theme: Theme) => {
      if (theme === "system") delete document.documentElement.dataset["theme"];
      else document.documentElement.dataset["theme"] = theme;
      frame.invalidate(this);
    };
    apply(state.theme.value);
    this.scope.watch(state.theme, apply);
  }

  render(): void {
    const theme = this.state.theme.value;
    setText(this.button, `Theme: ${theme}`);
    setAttr(this.button, "aria-label", `Colour theme: ${theme}; activate for ${NEXT[theme]}`);
  }

  dispose(): void {
    this.scope.dispose();
  }
}
