import { describe, expect, it } from "vitest";
import { followMachines } from "../src/machines";
import { chooseMachine } from "../src/metrics";
import { PageState } from "../src/page-state";

function cpu(hardwareId: string, level = 0) {
  return { name: "system_metrics: CPU", level, message: "OK", hardware_id: hardwareId, values: { "usage %": "1" } };
}

describe("chooseMachine", () => {
  it("keeps the current machine, else the bridge's host, else the first", () => {
    expect(chooseMachine(["a", "b"], "b", "a")).toBe("b");
    expect(chooseMachine(["a", "b"], "gone", "b")).toBe("b");
    expect(chooseMachine(["a", "b"], "gone", "elsewhere")).toBe("a");
    expect(chooseMachine([], "gone", "b")).toBe("");
  });
});

describe("followMachines", () => {
  it("lists machines and picks the bridge's host when it publishes", () => {
    const state = new PageState(() => 0);
    const off = followMachines(state);
    state.store.applyHello({ type: "hello", protocol: 1, hostname: "robot-2", version: "x", topics: [], history_seconds: 60, seq: 0 });
    state.messages.bump();
    state.store.applyDiagnostics({ type: "diagnostics", seq: 1, topic: "/d", stamp: 1, statuses: [cpu("robot-1")] }, 0);
    state.messages.bump();
    expect(state.machines.value).toEqual(["robot-1"]);
    expect(state.machine.value).toBe("robot-1");
    state.store.applyDiagnostics({ type: "diagnostics", seq: 2, topic: "/d", stamp: 2, statuses: [cpu("robot-2")] }, 0);
    state.messages.bump();
    // robot-1 is still listed: the choice stays (a user's pick is not overridden).
    expect(state.machines.value).toEqual(["robot-1", "robot-2"]);
    expect(state.machine.value).toBe("robot-1");
    off();
    expect(state.messages.subscribers).toBe(0);
  });
});
