import { describe, expect, it } from "vitest";
import { addSeries, MAX_PANELS, parseLayout, removePanel, serializeLayout } from "../src/chart-layout";

const s = (key: string) => ({ hardwareId: "h", name: "n", key });

describe("chart layout", () => {
  it("adds a series to a new panel, or to a given one without repeats", () => {
    let l = addSeries([], s("a"));
    expect(l).toEqual([{ id: 1, series: [s("a")] }]);
    l = addSeries(l, s("b"), 1);
    l = addSeries(l, s("b"), 1);
    expect(l[0]?.series).toEqual([s("a"), s("b")]);
    l = addSeries(l, s("c"));
    expect(l.map((p) => p.id)).toEqual([1, 2]);
    expect(removePanel(l, 1).map((p) => p.id)).toEqual([2]);
  });

  it("keeps at most MAX_PANELS panels", () => {
    let l = addSeries([], s("a"));
    for (let i = 0; i < 20; i++) l = addSeries(l, s(`k${i}`));
    expect(l.length).toBe(MAX_PANELS);
  });

  it("round-trips through storage, and reads anything else as no panels", () => {
    const l = addSeries(addSeries([], s("a")), s("b"));
    expect(parseLayout(serializeLayout(l))).toEqual(l);
    expect(parseLayout(null)).toEqual([]);
    expect(parseLayout("{not json")).toEqual([]);
    expect(parseLayout('[{"id":"x"}]')).toEqual([]);
  });
});
