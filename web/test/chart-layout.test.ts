import { describe, expect, it } from "vitest";
import { addSeries, MAX_PANELS, MAX_SERIES, panelChoices, parseLayout, removePanel, serializeLayout } from "../src/chart-layout";

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

  it("offers a new panel and every existing one, saying why one cannot take the key", () => {
    expect(panelChoices([], s("a"))).toEqual([{ into: undefined, label: "New chart panel", refused: undefined }]);
    let l = addSeries([], s("a"));
    l = addSeries(l, s("b"));
    const choices = panelChoices(l, s("a"));
    expect(choices.map((c) => c.into)).toEqual([undefined, 1, 2]);
    expect(choices[1]).toEqual({ into: 1, label: "Add to: a (h / n)", refused: "already charted there" });
    expect(choices[2]?.refused).toBeUndefined();
    // Choosing one adds the key there, and the layout (so the next reload) says so.
    const into = choices[2]?.into;
    l = addSeries(l, s("a"), into);
    expect(parseLayout(serializeLayout(l))).toEqual([
      { id: 1, series: [s("a")] },
      { id: 2, series: [s("b"), s("a")] },
    ]);
    // A full panel, and no room for another panel.
    for (let i = 0; i < MAX_SERIES; i++) l = addSeries(l, s(`k${i}`), 1);
    expect(l[0]?.series.length).toBe(MAX_SERIES);
    expect(panelChoices(l, s("z"))[1]?.refused).toBe(`${MAX_SERIES} keys at most`);
    for (let i = 0; i < MAX_PANELS; i++) l = addSeries(l, s(`p${i}`));
    expect(panelChoices(l, s("z"))[0]?.refused).toBe(`${MAX_PANELS} panels at most`);
  });
});
