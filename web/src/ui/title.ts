// The count of alerts that want attention in the tab's title ("(2) ChedWeb · robot health") and the
// worst one's colour in the favicon, so a background tab still says something is wrong; and,
// when the user opted in, a notification and a tone for each new ERROR.
import { unhandled } from "../alert-book";
import { activeAlerts } from "../alerts";
import { ERROR, severity } from "../levels";
import type { PageState } from "../page-state";
import type { FrameScheduler, Part } from "./frame";
import { Scope } from "./scope";

const BASE_TITLE = "ChedWeb · robot health";
/** Favicon fill per level name; none: no alert. Same hues as the level colours. */
const ICON_COLOURS: Record<string, string> = { none: "#2b8a3e", WARN: "#e8a400", ERROR: "#d6336c", STALE: "#868e96" };

function favicon(colour: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${colour}"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export interface Notifier {
  /** A new ERROR alert (its text): a notification and a tone, if the user asked for them. */
  newError(text: string): void;
}

export class TitleView implements Part {
  readonly name = "title";
  private readonly scope = new Scope();
  private readonly icon: HTMLLinkElement;
  private errorsSeen = new Set<string>();
  private first = true;

  constructor(private readonly state: PageState, frame: FrameScheduler, private readonly notifier: Notifier) {
    let icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (icon === null) {
      icon = document.createElement("link");
      icon.rel = "icon";
      this.scope.mount(document.head, icon);
    }
    this.icon = icon;
    this.scope.add(() => {
      document.title = BASE_TITLE;
    });
    this.scope.add(frame.add(this));
    this.scope.onAny([state.data, state.alertBook, state.staleMs, state.link], () => frame.invalidate(this));
    this.scope.watch(state.clock, () => frame.refresh(this, 900));
  }

  render(now: number): void {
    const alerts = this.state.linkDown() ? [] : activeAlerts(this.state.store, now, this.state.staleMs.value);
    const open = unhandled(alerts, this.state.alertBook.value, now);
    const title = open.length > 0 ? `(${open.length}) ${BASE_TITLE}` : BASE_TITLE;
    if (document.title !== title) document.title = title;
    let worst: number | undefined;
    for (const a of open) if (worst === undefined || severity(a.level) > severity(worst)) worst = a.level;
    const name = worst === undefined ? "none" : (["OK", "WARN", "ERROR", "STALE"][worst] ?? "ERROR");
    const href = favicon(ICON_COLOURS[name] ?? ICON_COLOURS["none"] ?? "");
    if (this.icon.getAttribute("href") !== href) this.icon.setAttribute("href", href);
    this.icon.dataset["level"] = name;
    // New ERRORs only: those present when the page loads are not news.
    const errors = new Set(open.filter((a) => a.level === ERROR).map((a) => a.key));
    if (!this.first) {
      for (const a of open) if (a.level === ERROR && !this.errorsSeen.has(a.key)) this.notifier.newError(`${a.name || a.hardwareId}: ${a.message}`);
    }
    this.first = alerts.length === 0 && this.state.store.entries.size === 0;
    this.errorsSeen = errors;
  }

  dispose(): void {
    this.scope.dispose();
  }
}
