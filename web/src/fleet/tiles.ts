// The fleet page's DOM: the add form, the share link, and one tile per robot (a link to its full
// page). Owns its elements; render() writes only what changed.
import { h, setAttr, setClass, setData, setText } from "../ui/dom";
import type { TileModel } from "./summary";

interface TileEls {
  root: HTMLElement;
  link: HTMLAnchorElement;
  name: HTMLElement;
  level: HTMLElement;
  seen: HTMLElement;
  alerts: HTMLElement;
  detail: HTMLElement;
  remove: HTMLButtonElement;
}

export interface FleetActions {
  add(text: string): string | undefined; // an error to show, or undefined when added
  remove(url: string): void;
}

export class FleetView {
  private readonly tiles = new Map<string, TileEls>();
  private readonly grid: HTMLElement;
  private readonly share: HTMLAnchorElement;
  private readonly error: HTMLElement;

  constructor(root: HTMLElement, private readonly actions: FleetActions) {
    const input = h("input", { type: "text", name: "robot", placeholder: "http://robot2.local:8080/",
      "aria-label": "Bridge URL", "data-testid": "fleet-input", size: 36 });
    const form = h("form", { class: "fleet-add", "data-testid": "fleet-add" }, input,
      h("button", { type: "submit" }, "Add robot"));
    this.error = h("span", { class: "fleet-error", role: "alert", "data-testid": "fleet-error" });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const problem = this.actions.add(input.value);
      setText(this.error, problem ?? "");
      if (problem === undefined) input.value = "";
    });
    this.share = h("a", { "data-testid": "fleet-share", href: "" }, "Link to this fleet");
    this.grid = h("section", { class: "fleet-grid", "aria-label": "Robots", "data-testid": "fleet-grid" });
    root.append(h("header", { class: "fleet-bar" }, h("h1", {}, "ChedWeb fleet"), form, this.error, this.share),
      this.grid);
  }

  setShareLink(href: string): void {
    setAttr(this.share, "href", href);
  }

  render(models: readonly TileModel[]): void {
    const wanted = new Set(models.map((m) => m.url));
    for (const [url, els] of this.tiles) {
      if (!wanted.has(url)) {
        els.root.remove();
        this.tiles.delete(url);
      }
    }
    for (const [i, m] of models.entries()) {
      const els = this.tiles.get(m.url) ?? this.create(m.url);
      if (this.grid.children[i] !== els.root) this.grid.insertBefore(els.root, this.grid.children[i] ?? null);
      setClass(els.root, `tile level-${m.level === "—" ? "none" : m.level.toLowerCase()}${m.online ? "" : " offline"}`);
      setData(els.root, "level", m.level);
      setData(els.root, "state", m.online ? "online" : "offline");
      setData(els.root, "alerts", String(m.alerts));
      setData(els.root, "name", m.name);
      setText(els.name, m.name);
      setText(els.level, m.level);
      setText(els.seen, `last seen ${m.lastSeen}`);
      setData(els.root, "handled", String(m.handled));
      setText(els.alerts, `${m.alerts === 1 ? "1 alert" : `${m.alerts} alerts`}${m.handled ? ` (${m.handled} acknowledged or muted)` : ""}`);
      setText(els.detail, m.online ? "online" : `offline${m.detail ? `: ${m.detail}` : ""}`);
    }
  }

  private create(url: string): TileEls {
    const name = h("span", { class: "tile-name" });
    const level = h("span", { class: "tile-level", "data-testid": "tile-level" });
    const seen = h("span", { class: "tile-seen", "data-testid": "tile-seen" });
    const alerts = h("span", { class: "tile-alerts", "data-testid": "tile-alerts" });
    const detail = h("span", { class: "tile-detail", "data-testid": "tile-detail" });
    // The whole tile opens the robot's full page (its bridge serves it, token included).
    const link = h("a", { class: "tile-link", href: url, "data-testid": "tile-link" }, name, level, alerts, seen,
      detail);
    const remove = h("button", { type: "button", class: "tile-remove", "aria-label": "Remove",
      "data-testid": "tile-remove" }, "×");
    remove.addEventListener("click", () => this.actions.remove(url));
    const root = h("article", { class: "tile", "data-testid": "robot-tile", "data-url": url }, link, remove);
    const els = { root, link, name, level, seen, alerts, detail, remove };
    this.tiles.set(url, els);
    return els;
  }

  /** Tiles whose robot came from the bridge's `fleet` parameter cannot be removed here. */
  setRemovable(url: string, removable: boolean): void {
    const els = this.tiles.get(url);
    if (els !== undefined) els.remove.hidden = !removable;
  }
}
