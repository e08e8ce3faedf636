// Keeps state.filter in the page URL (replaceState: a filter change is no history entry), so a
// filtered view can be reloaded, bookmarked and shared. Other parameters (token) are kept.
import type { PageState } from "../page-state";
import { windowFromParams, windowToParams } from "../range-data";
import { filterFromParams, filterToParams } from "../status-filter";
import type { Disposable } from "./scope";
import { Scope } from "./scope";

export class UrlSync implements Disposable {
  private readonly scope = new Scope();

  constructor(state: PageState) {
    state.filter.set(filterFromParams(new URL(window.location.href).searchParams));
    // The charts' range and a fixed window (custom, zoom, pan) too: a reload shows the same charts.
    const w = windowFromParams(new URL(window.location.href).searchParams);
    state.range.set(w.range);
    state.zoom.set(w.zoom);
    this.scope.onAny([state.range, state.zoom], () => {
      const url = new URL(window.location.href);
      windowToParams({ range: state.range.value, zoom: state.zoom.value }, url.searchParams);
      if (url.href !== window.location.href) history.replaceState(history.state, "", url);
    });
    this.scope.watch(state.filter, (f) => {
      const url = new URL(window.location.href);
      filterToParams(f, url.searchParams);
      if (url.href !== window.location.href) history.replaceState(history.state, "", url);
    });
    // Back/forward to an entry with another filter (a pasted link navigated within the page).
    this.scope.on(window, "popstate", () => state.filter.set(filterFromParams(new URL(window.location.href).searchParams)));
  }

  dispose(): void {
    this.scope.dispose();
  }
}
