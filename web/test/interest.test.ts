import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { INTEREST_INTERVAL_MS, InterestSender, interestOf, type InterestKey } from "../src/interest";
import { MAX_INTEREST_STATUSES, interestRequestSchema, type Status } from "../src/protocol";
import { Store, statusKey } from "../src/store";
import { chooseMachine, machines } from "../src/metrics";
import { readFileSync } from "node:fs";

// Shared with bench/fanout_peers.py (default_interest): the bench's peers declare what a page would.
const shared = JSON.parse(readFileSync(new URL("../../test/contract/interest_cases.json", import.meta.url), "utf8")) as {
  cases: { hostname: string; statuses: [string, string][]; want: [string, string][] }[];
};

const st = (hw: string, name: string): Status => ({ name, level: 0, message: "OK", hardware_id: hw, values: { v: "1" } });

function storeOf(...statuses: Status[]): Store {
  const store = new Store();
  store.applyDiagnostics({ type: "diagnostics", seq: 1, topic: "/diagnostics", stamp: 1, statuses }, 0);
  return store;
}

const TASKS = ["CPU", "Memory", "Temperature", "Disk", "Network", "Processes"];

describe("interestOf", () => {
  const store = storeOf(
    ...TASKS.map((t) => st("robot-1", `system_metrics: ${t}`)),
    ...TASKS.map((t) => st("robot-2", `system_metrics: ${t}`)),
    st("robot-1", "motor: left"),
    st("robot-1", "motor: right"),
    st("robot-1", "system_metrics: GPU"), // not a task the cards read
  );
  const names = (keys: InterestKey[]) => keys.map((k) => `${k.hardware_id}/${k.name}`);

  it("a default page: the selected machine's system_metrics statuses, nothing else", () => {
    expect(names(interestOf(store, "robot-1", [], []))).toEqual(TASKS.map((t) => `robot-1/system_metrics: ${t}`).sort());
    expect(interestOf(store, "", [], [])).toEqual([]);
    expect(interestOf(storeOf(st("h", "bench: status 0")), "", [], [])).toEqual([]);
  });

  it("adds open rows and custom chart panels' statuses, once each, sorted", () => {
    const open = [statusKey("robot-1", "motor: left"), statusKey("robot-1", "system_metrics: CPU"), statusKey("gone", "x")];
    const panels = [{ id: 1, series: [{ hardwareId: "robot-2", name: "system_metrics: Memory", key: "used %" }, { hardwareId: "robot-1", name: "motor: left", key: "rpm" }] }];
    const got = names(interestOf(store, "robot-1", open, panels));
    expect(got).toContain("robot-1/motor: left");
    expect(got).toContain("robot-2/system_metrics: Memory");
    expect(got).not.toContain("robot-1/motor: right");
    expect(got).not.toContain("gone/x"); // an open row of a status the store forgot
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual([...got].sort());
    expect(got.length).toBe(8);
  });

  it("stays within the bridge's bound and makes a valid request", () => {
    const many = storeOf(...Array.from({ length: 1100 }, (_, i) => st("h", `s${i}`)));
    const open = [...many.entries.keys()];
    const keys = interestOf(many, "", open, []);
    expect(keys.length).toBe(MAX_INTEREST_STATUSES);
    expect(interestRequestSchema.safeParse({ type: "interest", id: 1, statuses: keys }).success).toBe(true);
  });
});

describe("a default page's interest (test/contract/interest_cases.json)", () => {
  it.each(shared.cases.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const store = storeOf(...c.statuses.map(([hw, name]) => st(hw, name)));
    const machine = chooseMachine(machines(store), "", c.hostname);
    const got = interestOf(store, machine, [], []).map((k) => [k.hardware_id, k.name]);
    const sorted = (x: string[][]) => x.map((p) => p.join("\u0000")).sort();
    expect(sorted(got)).toEqual(sorted(c.want));
  });
});

describe("InterestSender", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function harness(answer: () => boolean = () => true) {
    const sent: string[][] = [];
    const sender = new InterestSender({
      send: async (statuses) => {
        sent.push(statuses.map((s) => s.name));
        return answer();
      },
      now: () => Date.now(),
      later: (fn, ms) => setTimeout(fn, ms),
    });
    return { sent, sender };
  }
  const k = (...names: string[]) => names.map((name) => ({ hardware_id: "h", name }));

  it("sends nothing until enabled (the snapshot is in), then the current interest at once", async () => {
    const { sent, sender } = harness();
    sender.update(k("a"));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([]);
    sender.enable();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([["a"]]);
  });

  it("merges changes within the interval into one request, and skips what the bridge already took", async () => {
    const { sent, sender } = harness();
    sender.enable();
    sender.update(k("a"));
    await vi.advanceTimersByTimeAsync(0);
    sender.update(k("a")); // unchanged: nothing
    for (let i = 0; i < 20; i++) sender.update(k("a", `b${i}`)); // a user opening rows fast
    await vi.advanceTimersByTimeAsync(INTEREST_INTERVAL_MS - 1);
    expect(sent.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([["a"], ["a", "b19"]]);
    // Never more than one a second: well under the bridge's 5 a second shared with acknowledgements.
    for (let i = 0; i < 50; i++) {
      sender.update(k(`c${i}`));
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(sent.length).toBeLessThanOrEqual(2 + 5 + 1);
  });

  it("a new link (hello) forgets what was taken: the interest is sent again once enabled", async () => {
    const { sent, sender } = harness();
    sender.enable();
    sender.update(k("a"));
    await vi.advanceTimersByTimeAsync(0);
    sender.reset();
    sender.update(k("a"));
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent.length).toBe(1);
    sender.enable();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([["a"], ["a"]]);
  });

  it("a request the bridge did not take is sent again after the interval", async () => {
    let ok = false;
    const { sent, sender } = harness(() => ok);
    sender.enable();
    sender.update(k("a"));
    await vi.advanceTimersByTimeAsync(0);
    ok = true;
    await vi.advanceTimersByTimeAsync(INTEREST_INTERVAL_MS);
    expect(sent).toEqual([["a"], ["a"]]);
    await vi.advanceTimersByTimeAsync(5 * INTEREST_INTERVAL_MS);
    expect(sent.length).toBe(2);
  });
});
