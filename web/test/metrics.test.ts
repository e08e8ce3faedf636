import { describe, expect, it } from "vitest";
import { Store } from "../src/store";
import { cards, chartSpecs, coreKeys, diskUsedKey, isTemperatureKey, joinSeries, machines, processes, taskOf } from "../src/metrics";
import type { Status } from "../src/protocol";
import type { Table } from "../src/metrics";

const cols = (t: Table) => t.columns.map((c) => Array.from(c, (x) => (Number.isNaN(x) ? null : x)));

const st = (task: string, values: Record<string, string>, level = 0, hw = "robot-1"): Status => ({
  name: `system_metrics: ${task}`, level, message: "OK", hardware_id: hw, values,
});

function storeWith(samples: [number, Status[]][]): Store {
  const s = new Store();
  samples.forEach(([stamp, statuses], i) => s.applyDiagnostics({ type: "diagnostics", seq: i + 1, topic: "/diagnostics", stamp, statuses }, 0));
  return s;
}

describe("system_metrics reading", () => {
  it("recognises tasks whatever the node name", () => {
    expect(taskOf("system_metrics: CPU")).toBe("CPU");
    expect(taskOf("my_robot_metrics: Network")).toBe("Network");
    expect(taskOf("motor: driver")).toBeUndefined();
  });

  it("picks keys", () => {
    expect(isTemperatureKey("coretemp Core 0 degC")).toBe(true);
    expect(isTemperatureKey("coretemp Core 0 high degC")).toBe(false);
    expect(isTemperatureKey("coretemp Core 0 critical degC")).toBe(false);
    expect(coreKeys(["core 10 %", "core 2 %", "usage %"])).toEqual(["core 2 %", "core 10 %"]);
    expect(diskUsedKey(["/data used %", "/ used %"])).toBe("/ used %");
    expect(diskUsedKey(["/data used GiB", "/data used %"])).toBe("/data used %");
  });

  it("fills the cards from one machine, with level", () => {
    const s = storeWith([[1, [
      st("CPU", { "usage %": "42.5" }, 1),
      st("Memory", { "used %": "60" }),
      st("Temperature", { "a x degC": "50", "b y degC": "61", "b y high degC": "80", sensors: "2" }),
      st("Disk", { "/ used %": "70" }),
      st("Network", { "rx B/s": "1024", "tx B/s": "10" }),
      st("CPU", { "usage %": "1" }, 0, "other"),
    ]]]);
    expect(machines(s)).toEqual(["other", "robot-1"]);
    const byId = Object.fromEntries(cards(s, "robot-1").map((c) => [c.id, c]));
    expect(byId["cpu"]).toMatchObject({ value: 42.5, level: 1 });
    expect(byId["memory"]?.value).toBe(60);
    expect(byId["temperature"]?.value).toBe(61);
    expect(byId["disk"]).toMatchObject({ value: 70, label: "Disk /" });
    expect(byId["rx"]?.value).toBe(1024);
    expect(cards(s, "other").find((c) => c.id === "cpu")?.value).toBe(1);
  });

  it("lists top processes by rank", () => {
    const s = storeWith([[1, [st("Processes", { "1 name": "ros", "1 pid": "10", "1 cpu %": "5.5", "1 rss MiB": "100", "2 name": "x", "2 pid": "11" })]]]);
    expect(processes(s, "robot-1")).toEqual([
      { rank: 1, name: "ros", pid: 10, cpu: 5.5, rssMiB: 100 },
      { rank: 2, name: "x", pid: 11, cpu: undefined, rssMiB: undefined },
    ]);
  });
});

describe("joinSeries", () => {
  it("aligns series from different statuses on the union of their times", () => {
    const s = storeWith([
      [1, [st("CPU", { "usage %": "10" })]],
      [2, [st("CPU", { "usage %": "20" }), st("Memory", { "used %": "50" })]],
      [3, [st("Memory", { "used %": "55" })]],
    ]);
    const [cpuMem] = chartSpecs(s, "robot-1");
    const table = joinSeries(cpuMem!.series, 0);
    expect(Array.from(table.t)).toEqual([1, 2, 3]);
    expect(cols(table)).toEqual([[10, 20, null], [null, 50, 55]]);
    const windowed = joinSeries(cpuMem!.series, 2);
    expect(Array.from(windowed.t)).toEqual([2, 3]);
  });

  it("charts per-core and network series from one status on its own time axis", () => {
    const s = storeWith([
      [1, [st("CPU", { "usage %": "10", "core 0 %": "5", "core 1 %": "15" }), st("Network", { "rx B/s": "1", "tx B/s": "2" })]],
      [2, [st("CPU", { "usage %": "12", "core 0 %": "6", "core 1 %": "18" }), st("Network", { "rx B/s": "3" })]],
    ]);
    const specs = Object.fromEntries(chartSpecs(s, "robot-1").map((c) => [c.id, c]));
    const cores = joinSeries(specs["cores"]!.series, 0);
    expect(cores.labels).toEqual(["core 0", "core 1"]);
    expect(cols(cores)).toEqual([[5, 6], [15, 18]]);
    expect(cols(joinSeries(specs["network"]!.series, 0))).toEqual([[1, 3], [2, null]]);
  });
});
