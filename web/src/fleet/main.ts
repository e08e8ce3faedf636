// fleet.html's entry: one Link (its own RTCPeerConnection, the full page's connection module) per
// robot, straight from this browser to each bridge; no server in between. Exposes
// `window.chedwebFleet` for the browser tests.
import "./fleet.css";
import { Link, type LinkState } from "../connection";
import { classify, fleetListSchema } from "../protocol";
import {
  addressWithRobots,
  loadStored,
  mergeRobots,
  normaliseRobotUrl,
  robotLabel,
  robotsFromAddress,
  saveStored,
  selfRobot,
} from "./robots";
import { RobotSummary, fleetInterest, tileModel, type TileModel } from "./summary";
import { FleetView } from "./tiles";

interface Robot {
  url: string;
  summary: RobotSummary;
  link: Link;
  state: LinkState;
  detail: string;
}

declare global {
  interface Window {
    chedwebFleet: { tiles(): TileModel[]; robots(): string[] };
  }
}

const address = new URL(window.location.href);
// A shared link's robots win over the ones this browser remembers, and are then remembered.
let userList = robotsFromAddress(address);
if (userList.length === 0) userList = loadStored(window.localStorage);
let bridgeList: string[] = [];
const robots = new Map<string, Robot>();

const view = new FleetView(document.getElementById("fleet") ?? document.body, {
  add(text) {
    const url = normaliseRobotUrl(text);
    if (url === undefined) return "not a bridge URL (http://host:port/)";
    userList = mergeRobots(userList, [url]);
    sync();
    return undefined;
  },
  remove(url) {
    userList = userList.filter((u) => u !== url);
    sync();
  },
});

function order(): string[] {
  return mergeRobots(bridgeList, userList);
}

function start(url: string): Robot {
  const robot: Robot = { url, summary: new RobotSummary(), state: "connecting", detail: "",
    link: new Link(new URL(url), {
      state: (state, detail) => {
        robot.state = state;
        robot.detail = detail;
        render();
      },
      message: (data) => {
        const c = classify(data);
        if (c.kind === "ok") {
          robot.summary.apply(c.msg, Date.now());
          const interest = fleetInterest(c.msg, robot.summary.capabilities);
          if (interest !== undefined) robot.link.send(interest);
          scheduleRender();
        }
      },
    }) };
  robot.link.connect();
  return robot;
}

function sync(): void {
  const wanted = order();
  for (const [url, robot] of robots) {
    if (!wanted.includes(url)) {
      robot.link.disconnect();
      robots.delete(url);
    }
  }
  for (const url of wanted) if (!robots.has(url)) robots.set(url, start(url));
  saveStored(window.localStorage, userList);
  const shared = addressWithRobots(address, userList);
  window.history.replaceState(null, "", shared);
  view.setShareLink(shared);
  render();
}

function models(): TileModel[] {
  const now = Date.now();
  return order().flatMap((url) => {
    const r = robots.get(url);
    return r === undefined ? [] : [tileModel(url, robotLabel(url), r.summary, r.state, r.detail, now)];
  });
}

let renderPending = false;

/** At most one render per animation frame, however many messages arrive. */
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  window.requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function render(): void {
  view.render(models());
  for (const url of bridgeList) view.setRemovable(url, false);
}

async function loadBridgeList(): Promise<void> {
  // Served by a bridge: it is a robot too, and its `fleet` parameter lists others. Served by
  // anything else (a static web server), /fleet does not answer and the user's list is all.
  const url = new URL("fleet", address);
  url.search = "";
  const token = address.searchParams.get("token");
  if (token !== null) url.searchParams.set("token", token);
  try {
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) return;
    const parsed = fleetListSchema.safeParse(await res.json());
    if (!parsed.success) return;
    bridgeList = mergeRobots([selfRobot(address)], parsed.data.robots);
    sync();
  } catch {
    // Not a bridge: nothing to add.
  }
}

window.chedwebFleet = { tiles: models, robots: order };
sync();
void loadBridgeList();
// "last seen" and silence are about time passing: refresh once a second.
window.setInterval(render, 1000);
