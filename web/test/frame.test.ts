import { describe, expect, it } from "vitest";
import { FrameScheduler, type FrameEnv, type Part } from "../src/ui/frame";

function fakeEnv(): FrameEnv & { frames: (() => void)[]; runFrame(): void } {
  const frames: (() => void)[] = [];
  return {
    frames,
    requestFrame: (cb) => frames.push(cb),
    now: () => 1000,
    perf: () => 0,
    afterPaint: (cb) => cb(),
    afterRender: (cb) => cb(),
    runFrame() {
      const cb = frames.shift();
      cb?.();
    },
  };
}

function part(name: string, log: string[], onRender?: () => void): Part {
  return {
    name,
    render: () => {
      log.push(name);
      onRender?.();
    },
  };
}

describe("FrameScheduler", () => {
  it("coalesces invalidations into one frame and renders only dirty parts, in page order", () => {
    const env = fakeEnv();
    const frame = new FrameScheduler(env);
    const log: string[] = [];
    const a = part("a", log);
    const b = part("b", log);
    frame.add(a);
    frame.add(b);
    expect(env.frames.length).toBe(1);
    env.runFrame();
    expect(log).toEqual(["a", "b"]);
    frame.invalidate(b);
    frame.invalidate(b);
    frame.invalidate(a);
    expect(env.frames.length).toBe(1);
    env.runFrame();
    expect(log).toEqual(["a", "b", "a", "b"]);
    frame.invalidate(b);
    env.runFrame();
    expect(log.slice(4)).toEqual(["b"]);
    expect(env.frames.length).toBe(0);
  });

  it("renders a part invalidated by an earlier one in the same frame, a later one's in the next", () => {
    const env = fakeEnv();
    const frame = new FrameScheduler(env);
    const log: string[] = [];
    const b: Part = part("b", log);
    const a: Part = part("a", log, () => frame.invalidate(b));
    const c: Part = part("c", log, () => frame.invalidate(a));
    frame.add(a);
    frame.add(b);
    frame.add(c);
    env.runFrame();
    expect(log).toEqual(["a", "b", "c"]);
    expect(env.frames.length).toBe(1);
    env.runFrame();
    expect(log.slice(3)).toEqual(["a", "b"]);
  });

  it("stops rendering a removed part and everything once disposed", () => {
    const env = fakeEnv();
    const frame = new FrameScheduler(env);
    const log: string[] = [];
    const a = part("a", log);
    const remove = frame.add(a);
    remove();
    env.runFrame();
    expect(log).toEqual([]);
    const b = part("b", log);
    frame.add(b);
    frame.dispose();
    env.runFrame();
    frame.invalidate(b);
    expect(log).toEqual([]);
    expect(env.frames.length).toBe(0);
  });

  it("counts each frame's applies into its time", () => {
    const env = fakeEnv();
    const frame = new FrameScheduler(env);
    frame.add(part("a", []));
    frame.noteApply(3);
    frame.noteApply(2);
    env.runFrame();
    expect(frame.frameTimings.values()).toEqual([5]);
    expect(frame.applyTimings.count).toBe(2);
  });

  it("times a frame with the rendering after it, leaving out a message applied after the frame", () => {
    let clock = 0;
    let rendered: (() => void) | undefined;
    const env = { ...fakeEnv(), perf: () => clock, afterRender: (cb: () => void) => void (rendered = cb) };
    const frame = new FrameScheduler(env);
    frame.add(part("a", [], () => (clock += 4)));
    frame.noteApply(3);
    env.runFrame();
    clock += 6; // style, layout and paint
    clock += 2; // the next message, applied before the task after the frame
    frame.noteApply(2);
    rendered?.();
    expect(frame.frameTimings.values()).toEqual([7]);
    expect(frame.renderedTimings.values()).toEqual([13]);
  });
});

describe("FrameScheduler.slowFrames", () => {
  it("keeps a frame of SLOW_FRAME_MS or more part by part, with its apply and the browser's time", () => {
    let clock = 0;
    const env = { ...fakeEnv(), perf: () => clock };
    let renderAfter: (() => void) | undefined;
    env.afterRender = (cb) => (renderAfter = cb);
    const frame = new FrameScheduler(env);
    const slow: Part = { name: "slow", render: () => (clock += 12) };
    const quick: Part = { name: "quick", render: () => (clock += 1) };
    frame.add(slow);
    frame.add(quick);
    frame.noteApply(3);
    clock = 5; // when the frame starts: 5 ms after the scheduler was made
    const run = env.frames.shift();
    run?.();
    clock += 2; // the browser's style, layout and paint
    renderAfter?.();
    expect(frame.slowFrames).toEqual([
      { at: 5, rendered: 18, applied: 3, parts: { slow: 12, quick: 1, paint: 0, browser: 2 } },
    ]);
    frame.invalidate(quick);
    env.frames.shift()?.();
    renderAfter?.();
    expect(frame.slowFrames.length).toBe(1); // 1 ms: not kept
    frame.resetTimings();
    expect(frame.slowFrames).toEqual([]);
    const resetAt = clock;
    frame.invalidate(slow);
    clock += 4;
    env.frames.shift()?.();
    clock += 5;
    renderAfter?.();
    // `at` counts from the reset, as the timings do.
    expect(frame.slowFrames.map((f) => f.at)).toEqual([4]);
    expect(resetAt).toBeGreaterThan(0);
  });
});
