import { describe, expect, it } from "vitest";
import { ackOf, bookFromMessage, muteOf, unhandled } from "../src/alert-book";
import { activeAlerts, offlineAlertKey, statusAlertKey } from "../src/alerts";
import { summarize } from "../src/chart-summary";
import { ERROR, OK, STALE, WARN, levelSince, severity, shownLevel, worse } from "../src/levels";
import { RequestClient } from "../src/requests";
import { DEFAULT_FILTER, compare, filterFromParams, filterToParams, matches, nameRanks, type Filter } from "../src/status-filter";
import { Store, type StatusEntry } from "../src/store";
import { buildTree, rollUp, visibleRows } from "../src/tree";

function st(name: string, level = 0, hardware_id = "robot-1", message = "m") {
  return { name, level, message, hardware_id, values: {} };
}

function storeWith(statuses: ReturnType<typeof st>[], nowMs = 0): Store {
  const store = new Store();
  store.applyDiagnostics({ type: "diagnostics", seq: 1, topic: "/d", stamp: 1, statuses }, nowMs);
  return store;
}

function entry(store: Store, name: string, hw = "robot-1"): StatusEntry {
  const e = store.find(hw, name);
  if (e === undefined) throw new Error(name);
  return e;
}

describe("levels", () => {
  it("ranks ERROR > STALE > WARN > OK", () => {
    expect([OK, WARN, STALE, ERROR].map(severity)).toEqual([0, 1, 2, 3]);
    expect(worse(WARN, STALE)).toBe(STALE);
    expect(worse(ERROR, STALE)).toBe(ERROR);
    expect(worse(undefined, OK)).toBe(OK);
  });

  it("shows a status not updated within the timeout as STALE, not its last level", () => {
    const store = storeWith([st("a", OK)], 1000);
    const e = entry(store, "a");
    expect(shownLevel(e, 1000 + 2000, 2000)).toBe(OK);
    expect(shownLevel(e, 1000 + 2001, 2000)).toBe(STALE);
    // A publisher's own level 3 is STALE too.
    expect(shownLevel(entry(storeWith([st("b", 3)]), "b"), 0, 5000)).toBe(STALE);
  });

  it("finds since when a status has been at its level", () => {
    const store = new Store();
    for (const [t, level] of [[10, 0], [11, 1], [12, 0], [13, 2], [14, 2]] as const) {
      store.applyDiagnostics({ type: "diagnostics", seq: t, topic: "/d", stamp: t, statuses: [st("a", level)] }, 0);
    }
    expect(levelSince(entry(store, "a").history)).toBe(13);
  });
});

describe("status filter", () => {
  it("round-trips through the URL and keeps other parameters", () => {
    const params = new URLSearchParams("token=abc");
    const f: Filter = { text: "lidar", min: "warn", sort: "level", view: "tree" };
    filterToParams(f, params);
    expect(params.get("token")).toBe("abc");
    expect(filterFromParams(params)).toEqual(f);
    filterToParams(DEFAULT_FILTER, params);
    expect(params.toString()).toBe("token=abc");
    expect(filterFromParams(new URLSearchParams("level=bogus&sort=x"))).toEqual(DEFAULT_FILTER);
  });

  it("searches name, message and hardware_id, and filters by minimum level", () => {
    const store = storeWith([st("lidar: scan", WARN, "robot-1", "scan rate low"), st("cpu", OK, "nuc")]);
    const lidar = entry(store, "lidar: scan");
    const cpu = entry(store, "cpu", "nuc");
    const f = (p: Partial<Filter>): Filter => ({ ...DEFAULT_FILTER, ...p });
    expect(matches(lidar, WARN, f({ text: "RATE" }))).toBe(true);
    expect(matches(cpu, OK, f({ text: "NUC" }))).toBe(true);
    expect(matches(cpu, OK, f({ text: "lidar" }))).toBe(false);
    expect(matches(lidar, WARN, f({ min: "warn" }))).toBe(true);
    expect(matches(cpu, OK, f({ min: "warn" }))).toBe(false);
    expect(matches(lidar, WARN, f({ min: "error" }))).toBe(false);
    expect(matches(cpu, STALE, f({ min: "warn" }))).toBe(true);
  });

  it("sorts by level (worst first), name, or age (oldest first)", () => {
    const store = new Store();
    store.applyDiagnostics({ type: "diagnostics", seq: 1, topic: "/d", stamp: 1, statuses: [st("b", ERROR)] }, 100);
    store.applyDiagnostics({ type: "diagnostics", seq: 2, topic: "/d", stamp: 2, statuses: [st("a", WARN), st("c", OK)] }, 200);
    const items = ["a", "b", "c"].map((n) => {
      const e = entry(store, n);
      return { entry: e, level: e.latest?.level };
    });
    const order = (sort: Filter["sort"]) => [...items].sort((x, y) => compare(sort, x, y)).map((x) => x.entry.name);
    expect(order("level")).toEqual(["b", "a", "c"]);
    expect(order("name")).toEqual(["a", "b", "c"]);
    expect(order("age")).toEqual(["b", "a", "c"]);
  });

  it("compares names by their nameRanks place exactly as by the names themselves", () => {
    // Case, accents, digits, a path and a name that sorts before everything; two machines share a name.
    const names = ["b: x", "B: x", "a: y", "á: y", "item 10", "item 9", "/Sensors/Lidar", " lead", "b: x"];
    const store = new Store();
    store.applyDiagnostics({ type: "diagnostics", seq: 1, topic: "/d", stamp: 1,
      statuses: names.map((n, i) => ({ ...st(n, i % 3), hardware_id: i === 8 ? "robot-2" : "robot-1" })) }, 100);
    const ranks = nameRanks(names);
    const plain = [...store.entries.values()].map((e) => ({ entry: e, level: e.latest?.level }));
    const ranked = plain.map((x) => ({ ...x, rank: ranks.get(x.entry.name) }));
    for (const sort of ["name", "level", "age"] as const) {
      for (const x of plain.keys()) {
        for (const y of plain.keys()) {
          expect(Math.sign(compare(sort, ranked[x]!, ranked[y]!))).toBe(Math.sign(compare(sort, plain[x]!, plain[y]!)));
        }
      }
    }
  });
});

describe("aggregator tree", () => {
  const store = storeWith([
    st("/Sensors", OK, ""),
    st("/Sensors/Lidar", OK, ""),
    st("/Sensors/Lidar/driver: scan", ERROR, ""),
    st("/Motors/Left", WARN, ""),
    st("plain: status", OK),
  ]);
  const roots = buildTree(store.entries.values());

  it("nests '/'-paths, makes missing parents, and leaves other names out", () => {
    expect(roots.map((r) => r.path)).toEqual(["/Motors", "/Sensors"]);
    expect(roots[0]?.entry).toBeUndefined();
    expect(roots[1]?.children[0]?.children[0]?.path).toBe("/Sensors/Lidar/driver: scan");
  });

  it("rolls the worst level of the children up to every parent", () => {
    const levels = rollUp(roots, (e) => e.latest?.level);
    expect(roots.map((r) => levels.get(r))).toEqual([WARN, ERROR]);
    expect(levels.get(roots[1]?.children[0] as never)).toBe(ERROR);
  });

  it("shows children of expanded nodes only, and opens branches holding a filter match", () => {
    const levels = rollUp(roots, (e) => e.latest?.level);
    expect(visibleRows(roots, levels, new Set(), undefined).map((r) => r.node.path)).toEqual(["/Motors", "/Sensors"]);
    expect(visibleRows(roots, levels, new Set(["/Sensors"]), undefined).map((r) => r.node.path)).toEqual([
      "/Motors",
      "/Sensors",
      "/Sensors/Lidar",
    ]);
    const keep = (n: { path: string }) => n.path.includes("driver");
    expect(visibleRows(roots, levels, new Set(), keep).map((r) => r.node.path)).toEqual([
      "/Sensors",
      "/Sensors/Lidar",
      "/Sensors/Lidar/driver: scan",
    ]);
  });
});

describe("alerts", () => {
  it("lists WARN, ERROR and STALE, worst first", () => {
    const store = storeWith([st("a", WARN), st("b", ERROR), st("c", OK), st("d", 3)]);
    expect(activeAlerts(store, 0, 5000).map((a) => [a.name, a.level])).toEqual([
      ["b", ERROR],
      ["d", STALE],
      ["a", WARN],
    ]);
  });

  it("makes a machine whose statuses all went silent one 'machine offline' alert", () => {
    const store = storeWith([st("a", OK, "robot-2"), st("b", WARN, "robot-2"), st("c", OK, "robot-1")], 0);
    store.applyDiagnostics({ type: "diagnostics", seq: 2, topic: "/d", stamp: 2, statuses: [st("c", OK, "robot-1")] }, 9000);
    const alerts = activeAlerts(store, 10_000, 5000);
    expect(alerts.map((a) => a.key)).toEqual([offlineAlertKey("robot-2")]);
    expect(alerts[0]?.count).toBe(2);
  });

  it("does not list an aggregator parent beside its child, nor a leaf beside the raw status", () => {
    const store = storeWith([
      st("/Sensors", ERROR, ""),
      st("/Sensors/Lidar", ERROR, ""),
      st("/Sensors/Lidar/driver: scan", ERROR, ""),
      st("driver: scan", ERROR, "lidar-0"),
      st("/Motors", WARN, ""),
    ]);
    expect(activeAlerts(store, 0, 5000).map((a) => a.name)).toEqual(["driver: scan", "/Motors"]);
  });
});

describe("alert book", () => {
  const alert = { key: statusAlertKey("r", "a"), kind: "status" as const, level: ERROR, hardwareId: "r", name: "a", message: "", count: 1 };

  it("an acknowledgement holds only at the level acknowledged", () => {
    const book = bookFromMessage({ now: 100, acks: [{ key: alert.key, level: ERROR, by: "ann", at: 99 }], mutes: [] }, 100_000);
    expect(ackOf(book, alert)?.by).toBe("ann");
    expect(ackOf(book, { ...alert, level: WARN })).toBeUndefined();
    expect(unhandled([alert], book, 100_000)).toEqual([]);
  });

  it("a mute expires on the bridge's clock", () => {
    // The bridge's clock is 50 s ahead of the page's.
    const book = bookFromMessage({ now: 150, acks: [], mutes: [{ key: alert.key, until: 160, by: "bo", at: 140 }] }, 100_000);
    expect(muteOf(book, alert, 109_000)?.by).toBe("bo");
    expect(muteOf(book, alert, 110_001)).toBeUndefined();
  });
});

describe("requests", () => {
  it("settles a request by its id, and fails what the link drops", async () => {
    const sent: string[] = [];
    const client = new RequestClient((t) => (sent.push(t), true));
    const first = client.request({ type: "alert_ack" });
    const second = client.request({ type: "alert_mute" });
    const ids = sent.map((t) => (JSON.parse(t) as { id: number }).id);
    expect(new Set(ids).size).toBe(2);
    client.reply(ids[1] as number, { ok: false, message: "unauthorized" });
    expect(await second).toEqual({ ok: false, message: "unauthorized" });
    client.failAll("link down");
    expect(await first).toEqual({ ok: false, message: "link down" });
    expect(client.outstanding).toBe(0);
    expect(await new RequestClient(() => false).request({})).toEqual({ ok: false, message: "not connected to the bridge" });
  });
});

describe("chart summary", () => {
  it("says each series' latest value and range", () => {
    const table = { labels: ["CPU %"], t: Float64Array.from([1, 2, 3]), columns: [Float64Array.from([5, Number.NaN, 3])] };
    expect(summarize(table, (v) => v.toFixed(0))).toBe("CPU %: now 3, range 3 to 5. 3 samples.");
    expect(summarize({ labels: [], t: new Float64Array(0), columns: [] }, String)).toBe("No samples in view.");
  });
});
