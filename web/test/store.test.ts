import { describe, expect, it } from "vitest";
import { MAX_STATUSES, SeqTracker, STALE_AFTER_MS, Store, isStale, numericValues } from "../src/store";
import { entryLevelSince } from "../src/levels";
import type { Diagnostics, Snapshot, SnapshotStatus, Status } from "../src/protocol";

const status = (name: string, level = 0, values: Record<string, string> = {}, hw = "robot-1"): Status => ({
  name, level, message: level ? "bad" : "OK", hardware_id: hw, values,
});
const diag = (seq: number, stamp: number, statuses: Status[]): Diagnostics => ({
  type: "diagnostics", seq, topic: "/diagnostics", stamp, statuses,
});
const hello = (seq: number) => ({ type: "hello" as const, protocol: 1, hostname: "robot-1", version: "0.1.0", topics: ["/diagnostics"], history_seconds: 3600, seq });

describe("numericValues", () => {
  it("keeps only values that parse as finite numbers", () => {
    const m = numericValues({ a: "12.50", b: "n/a", c: "", d: "inf", e: "-3", f: "1e3" });
    expect([...m]).toEqual([["a", 12.5], ["e", -3], ["f", 1000]]);
  });
});

describe("SeqTracker", () => {
  it("counts gaps after hello, ignores repeated seq of split arrays", () => {
    const s = new SeqTracker();
    s.reset(41);
    expect(s.observe(42)).toBe(0);
    expect(s.observe(42)).toBe(0); // second part of a split array
    expect(s.observe(45)).toBe(2);
    expect(s.observe(46)).toBe(0);
    expect(s.dropped).toBe(2);
  });
  it("counts messages lost between hello and the first live message", () => {
    const s = new SeqTracker();
    s.reset(10);
    expect(s.observe(13)).toBe(2);
  });
  it("a new hello (reconnect) starts a new sequence without counting the jump", () => {
    const s = new SeqTracker();
    s.reset(100);
    s.observe(101);
    s.reset(3); // restarted bridge
    expect(s.observe(4)).toBe(0);
    expect(s.dropped).toBe(0);
  });
});

describe("Store", () => {
  it("applies diagnostics: latest, history, dropped from seq gaps", () => {
    const st = new Store();
    st.applyHello(hello(0));
    st.applyDiagnostics(diag(1, 100, [status("sm: CPU", 0, { "usage %": "10" })]), 1000);
    st.applyDiagnostics(diag(4, 101, [status("sm: CPU", 1, { "usage %": "90" })]), 2000);
    const e = st.find("robot-1", "sm: CPU")!;
    expect(e.latest?.level).toBe(1);
    expect(e.history.length).toBe(2);
    expect(e.history.valueAt("usage %", 1)).toBe(90);
    expect(st.counters.dropped).toBe(2);
    expect(st.counters.diagnostics).toBe(2);
    expect(st.counters.messages).toBe(3);
  });

  it("detects stale statuses after 5 s without update", () => {
    const st = new Store();
    st.applyDiagnostics(diag(1, 100, [status("a")]), 10_000);
    const e = st.find("robot-1", "a")!;
    expect(isStale(e, 10_000 + STALE_AFTER_MS)).toBe(false);
    expect(isStale(e, 10_000 + STALE_AFTER_MS + 1)).toBe(true);
    st.applyDiagnostics(diag(2, 106, [status("a")]), 16_000);
    expect(isStale(e, 16_500)).toBe(false);
  });

  it("groups by hardware_id and lists WARN/ERROR alerts most severe first", () => {
    const st = new Store();
    st.applyDiagnostics(diag(1, 1, [status("b", 1, {}, "h2"), status("a", 2, {}, "h2"), status("c", 0, {}, "h1"), status("d", 3, {}, "h1")]), 0);
    expect([...st.grouped().keys()]).toEqual(["h1", "h2"]);
    expect(st.grouped().get("h2")!.map((e) => e.name)).toEqual(["a", "b"]);
    expect(st.alerts().map((e) => e.name)).toEqual(["a", "b"]);
    st.applyDiagnostics(diag(2, 2, [status("a", 0, {}, "h2"), status("b", 0, {}, "h2")]), 0);
    expect(st.alerts()).toEqual([]);
  });

  it("bumps the structure version only when a status appears", () => {
    const st = new Store();
    st.applyDiagnostics(diag(1, 1, [status("a")]), 0);
    const v = st.structureVersion;
    st.applyDiagnostics(diag(2, 2, [status("a")]), 0);
    expect(st.structureVersion).toBe(v);
    st.applyDiagnostics(diag(3, 3, [status("b")]), 0);
    expect(st.structureVersion).toBe(v + 1);
  });
});

// Issue 8 item 6: the page kept every status it had ever seen (12,000 rows, 37 MB after 2,000 names).
describe("a live status without values (capability interest)", () => {
  it("updates level, message and age, keeps the values it had, charts nothing, and says they are not live", () => {
    const store = new Store();
    store.applyHello(hello(0));
    store.applyDiagnostics(diag(1, 100, [status("a", 0, { "usage %": "10" })]), 1000);
    const e = store.find("robot-1", "a")!;
    expect(e.valuesLive).toBe(true);
    const lean = { name: "a", level: 2, message: "bad", hardware_id: "robot-1" };
    store.applyDiagnostics({ ...diag(2, 101, []), statuses: [lean] }, 2000);
    expect(e.latest?.level).toBe(2);
    expect(e.latest?.message).toBe("bad");
    expect(e.updatedMs).toBe(2000);
    expect(e.latest?.values).toEqual({ "usage %": "10" }); // not wiped
    expect(e.valuesLive).toBe(false);
    expect(e.history.length).toBe(1); // nothing charted from it
    expect(e.history.valuesFrom("usage %", 0)[0]).toBe(10);
    // Values again (the page asked for them): live, and charted.
    store.applyDiagnostics(diag(3, 102, [status("a", 0, { "usage %": "30" })]), 3000);
    expect(e.valuesLive).toBe(true);
    expect(e.latest?.values).toEqual({ "usage %": "30" });
    expect(e.history.length).toBe(2);
  });
  it("the interest reply's latest makes a status's values current without charting or ageing it", () => {
    const store = new Store();
    store.applyDiagnostics({ ...diag(1, 100, []), statuses: [{ name: "a", level: 0, message: "OK", hardware_id: "robot-1" }] }, 1000);
    const e = store.find("robot-1", "a")!;
    store.applyLatest([status("a", 0, { rpm: "1200" }), status("unknown", 0, { x: "1" })]);
    expect(e.latest?.values).toEqual({ rpm: "1200" });
    expect(e.valuesLive).toBe(true);
    expect(e.updatedMs).toBe(1000);
    expect(e.history.length).toBe(0);
    expect(store.find("robot-1", "unknown")).toBeUndefined();
  });
  it("a level change while its values were not sent still dates 'at this level since'", () => {
    const store = new Store();
    store.applyHello(hello(0));
    store.applyDiagnostics(diag(1, 100, [status("a", 0, { v: "1" })]), 1000);
    store.applyDiagnostics(diag(2, 101, [status("a", 0, { v: "1" })]), 1100);
    const e = store.find("robot-1", "a")!;
    expect(entryLevelSince(e)).toBe(100);
    const lean = (level: number) => ({ name: "a", level, message: "m", hardware_id: "robot-1" });
    store.applyDiagnostics({ ...diag(3, 102, []), statuses: [lean(2)] }, 1200); // ERROR, no values
    store.applyDiagnostics({ ...diag(4, 103, []), statuses: [lean(2)] }, 1300);
    expect(entryLevelSince(e)).toBe(102); // not 100: the history holds no point at ERROR
    store.applyDiagnostics(diag(5, 104, [status("a", 2, { v: "1" })]), 1400); // the row opened
    expect(entryLevelSince(e)).toBe(102);
    store.applyDiagnostics(diag(6, 105, [status("a", 0, { v: "1" })]), 1500);
    expect(entryLevelSince(e)).toBe(105);
  });
  it("a status first seen without values has none, and is listed", () => {
    const store = new Store();
    store.applyDiagnostics({ ...diag(1, 100, []), statuses: [{ name: "b", level: 1, message: "warn", hardware_id: "h" }] }, 1000);
    const e = store.find("h", "b")!;
    expect(e.latest).toMatchObject({ level: 1, message: "warn", values: {} });
    expect(e.valuesLive).toBe(false);
    expect(e.history.length).toBe(0);
    expect(store.alerts().map((x) => x.name)).toEqual(["b"]);
  });
});

describe("status bound", () => {
  it("keeps at most MAX_STATUSES, forgets the least recently updated and counts them", () => {
    const store = new Store();
    store.applyHello(hello(0));
    for (let i = 0; i < 2000; i++) {
      // "kept" is updated now and then, so it is never the least recently updated.
      const statuses = i % 100 === 0 ? [status(`flood: ${i}`), status("kept")] : [status(`flood: ${i}`)];
      store.applyDiagnostics(diag(1 + i, 1 + i, statuses), i);
    }
    expect(store.entries.size).toBe(MAX_STATUSES);
    expect(store.counters.evicted).toBe(2001 - MAX_STATUSES);
    expect(store.find("robot-1", "kept")).toBeDefined();
    expect(store.find("robot-1", "flood: 1999")).toBeDefined();
    expect(store.find("robot-1", `flood: ${2000 - MAX_STATUSES + 1}`)).toBeDefined();
    expect(store.find("robot-1", `flood: ${2000 - MAX_STATUSES}`)).toBeUndefined();
  });

  // Issue 11: the page carries 1,000 statuses (bench/page_apply measures 1,000), forgetting none.
  it("keeps 1,000 statuses without forgetting any, and the bound is 1,024", () => {
    const store = new Store();
    store.applyHello(hello(0));
    const statuses = Array.from({ length: 1000 }, (_, i) => status(`driver: ${i}`));
    store.applyDiagnostics(diag(1, 1, statuses), 0);
    store.applyDiagnostics(diag(2, 2, statuses), 100);
    expect(store.entries.size).toBe(1000);
    expect(store.counters.evicted).toBe(0);
    expect(MAX_STATUSES).toBe(1024);
  });

  it("evicts by last update, not by arrival", () => {
    const store = new Store(3600, 3);
    store.applyHello(hello(0));
    store.applyDiagnostics(diag(1, 1, [status("a"), status("b"), status("c")]), 0);
    store.applyDiagnostics(diag(2, 2, [status("a"), status("c")]), 10); // b is now the least recent
    store.applyDiagnostics(diag(3, 3, [status("d")]), 20);
    expect([...store.entries.values()].map((e) => e.name).sort()).toEqual(["a", "c", "d"]);
    expect(store.counters.evicted).toBe(1);
  });
});

describe("snapshot merging", () => {
  const snapStatus = (t: number[], v: (number | null)[], latest?: Status): SnapshotStatus => ({
    name: "sm: CPU", hardware_id: "robot-1", t, level: t.map(() => 0), values: { "usage %": v }, ...(latest ? { latest } : {}),
  });
  const part = (p: number, parts: number, statuses: SnapshotStatus[]): Snapshot => ({ type: "snapshot", part: p, parts, statuses });

  it("waits for every part and concatenates them in part order", () => {
    const st = new Store();
    st.applyHello(hello(5));
    expect(st.applySnapshotPart(part(1, 2, [snapStatus([3, 4], [30, 40], status("sm: CPU", 1))]), 1000)).toBe(false);
    expect(st.entries.size).toBe(0);
    expect(st.applySnapshotPart(part(0, 2, [snapStatus([1, 2], [10, null])]), 1000)).toBe(true);
    const e = st.find("robot-1", "sm: CPU")!;
    expect(Array.from(e.history.timesFrom(0))).toEqual([1, 2, 3, 4]);
    expect(Array.from(e.history.valuesFrom("usage %", 0))).toEqual([10, Number.NaN, 30, 40]);
    expect(e.latest?.level).toBe(1);
  });

  it("appends only samples newer than what the page holds (reconnect to the same bridge)", () => {
    const st = new Store();
    st.applyDiagnostics(diag(1, 2, [status("sm: CPU", 0, { "usage %": "20" })]), 1000);
    st.mergeSnapshot([snapStatus([1, 2, 3], [10, 99, 30])], 2000);
    const e = st.find("robot-1", "sm: CPU")!;
    expect(Array.from(e.history.timesFrom(0))).toEqual([2, 3]);
    expect(Array.from(e.history.valuesFrom("usage %", 0))).toEqual([20, 30]);
  });

  it("keeps history when a restarted bridge sends an empty snapshot", () => {
    const st = new Store();
    st.applyDiagnostics(diag(7, 2, [status("sm: CPU", 0, { "usage %": "20" })]), 1000);
    st.applyHello(hello(0));
    st.applySnapshotPart(part(0, 1, []), 2000);
    expect(st.find("robot-1", "sm: CPU")!.history.length).toBe(1);
  });

  it("dates a snapshot status's update by its last sample, so long-silent ones are stale at once", () => {
    const st = new Store();
    const other: SnapshotStatus = { name: "other", hardware_id: "robot-1", t: [100], level: [0], values: {}, latest: status("other") };
    st.mergeSnapshot([snapStatus([10, 20], [1, 2], status("sm: CPU")), other], 1_000_000);
    expect(isStale(st.find("robot-1", "sm: CPU")!, 1_000_000)).toBe(true);
    expect(isStale(st.find("robot-1", "other")!, 1_000_000)).toBe(false);
  });

  it("counts unknown and malformed messages", () => {
    const st = new Store();
    st.countUnknown("pong");
    st.countMalformed("not JSON");
    expect(st.counters).toMatchObject({ unknown: 1, malformed: 1, messages: 2, lastUnknown: "pong", lastMalformed: "not JSON" });
  });
});
