// Redraws on animation frames: a view that has something new to show invalidates itself, and the
// next frame renders every invalidated view once, in page order. Several messages in one frame
// cost one render per view; a view nothing changed for costs nothing. Timings per view feed the
// instrumentation hook (stats().sections) and the page_apply benchmark.
import { Timings } from "../timings";

/** One thing the frame renders (a view, or a part of one). */
export interface Part {
  readonly name: string;
  render(nowMs: number): void;
}

export interface FrameEnv {
  requestFrame(cb: () => void): void;
  /** Page clock (ms, epoch), passed to render (ages, staleness). */
  now(): number;
  /** Monotonic clock (ms) for the timings. */
  perf(): number;
  /** After synchronous work: uPlot paints in a microtask, so a frame's end is measured after it. */
  afterPaint(cb: () => void): void;
  /**
   * After the browser's own work for this frame (style, layout, paint), which runs in the same task
   * as the animation-frame callbacks: a message posted from the callback runs after it.
   */
  afterRender(cb: () => void): void;
}

/** One MessageChannel for every frame (a new one per frame would be garbage at 60 Hz). */
function messageTask(): (cb: () => void) => void {
  let channel: MessageChannel | undefined;
  const queue: (() => void)[] = [];
  return (cb) => {
    if (channel === undefined) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => queue.shift()?.();
    }
    queue.push(cb);
    channel.port2.postMessage(null);
  };
}

export const browserFrameEnv: FrameEnv = {
  requestFrame: (cb) => requestAnimationFrame(() => cb()),
  now: () => Date.now(),
  perf: () => performance.now(),
  afterPaint: (cb) => queueMicrotask(() => queueMicrotask(cb)),
  afterRender: messageTask(),
};

/** A frame over budget, and what it spent its time on (ms): to see what makes the slow tail. */
export interface SlowFrame {
  /** When it started: ms after the timings were last reset (to tell start-up from steady state). */
  at: number;
  /** With the browser's style, layout and paint (as renderedTimings). */
  rendered: number;
  /** The messages applied for it. */
  applied: number;
  /** Each part it rendered, and "paint" (uPlot's microtasks) and "browser" (after the script). */
  parts: Record<string, number>;
}

/** Frames from this long (rendered) are kept in slowFrames. */
export const SLOW_FRAME_MS = 16;
const SLOW_FRAMES_KEPT = 64;

export class FrameScheduler {
  readonly applyTimings = new Timings();
  readonly redrawTimings = new Timings();
  /** Per frame: the apply time of the messages it shows plus its redraw. */
  readonly frameTimings = new Timings();
  /**
   * Per frame, as frameTimings plus the browser's style, layout and paint that follow the script
   * (what a large DOM change really costs; frameTimings sees only the script, unless the script
   * forces a layout by reading one).
   */
  readonly renderedTimings = new Timings();
  /** Time per part of the redraw, to find what a slow frame spent its time on. */
  readonly sections = new Map<string, Timings>();
  /** The last SLOW_FRAMES_KEPT frames of SLOW_FRAME_MS or more, part by part. */
  readonly slowFrames: SlowFrame[] = [];
  private readonly parts: Part[] = [];
  private readonly dirty = new Set<Part>();
  private readonly renderedAt = new Map<Part, number>();
  private requested = false;
  private flushing = false;
  private disposed = false;
  private appliedSinceFrame = 0;
  /** Every apply time noted so far (to leave out of renderedTimings a message applied after the frame). */
  private appliedTotal = 0;
  /** When the timings were last reset (perf clock). */
  private timingsSince: number;

  constructor(private readonly env: FrameEnv = browserFrameEnv) {
    this.timingsSince = env.perf();
  }

  /** Adds a part at the end of the page order, to be rendered on the next frame. */
  add(part: Part): () => void {
    this.parts.push(part);
    this.invalidate(part);
    return () => {
      const i = this.parts.indexOf(part);
      if (i >= 0) this.parts.splice(i, 1);
      this.dirty.delete(part);
      this.renderedAt.delete(part);
    };
  }

  /** Renders `part` on the next frame (now, if this frame has not reached it yet). */
  invalidate(part: Part): void {
    if (this.disposed || !this.parts.includes(part)) return;
    this.dirty.add(part);
    if (!this.flushing) this.requestFrame();
  }

  /**
   * For the once-a-second clock: renders `part` only if it was not rendered within `ms` (a view
   * redrawn by a message a moment ago already shows whole-second ages right).
   */
  refresh(part: Part, ms: number): void {
    if (this.env.perf() - (this.renderedAt.get(part) ?? -Infinity) >= ms) this.invalidate(part);
  }

  /** A message's apply time, counted into the frame that shows it. */
  noteApply(ms: number): void {
    this.applyTimings.add(ms);
    this.appliedSinceFrame += ms;
    this.appliedTotal += ms;
  }

  /** Renders every invalidated part now (the frame callback; the hook's redraw() too). */
  flush(): void {
    this.requested = false;
    if (this.disposed) return;
    const perf = this.env.perf;
    const t0 = perf();
    const applied = this.appliedSinceFrame;
    this.appliedSinceFrame = 0;
    const now = this.env.now();
    let mark = t0;
    const parts: Record<string, number> = {};
    this.flushing = true;
    try {
      for (const part of [...this.parts]) {
        if (!this.dirty.delete(part)) continue;
        part.render(now);
        const end = perf();
        this.renderedAt.set(part, end);
        this.sectionTimings(part.name).add(end - mark);
        parts[part.name] = end - mark;
        mark = end;
      }
    } finally {
      this.flushing = false;
    }
    // Parts invalidated by a part after them in page order (or by themselves): next frame.
    if (this.dirty.size > 0) this.requestFrame();
    let scriptEnd = mark;
    this.env.afterPaint(() => {
      const end = (scriptEnd = perf());
      parts["paint"] = end - mark;
      this.sectionTimings("paint").add(end - mark);
      this.redrawTimings.add(end - t0);
      this.frameTimings.add(end - t0 + applied);
    });
    // A message applied between this frame and the task after it belongs to the next frame.
    const appliedBefore = this.appliedTotal;
    this.env.afterRender(() => {
      if (this.disposed) return;
      const late = this.appliedTotal - appliedBefore;
      const end = perf();
      const rendered = end - t0 + applied - late;
      this.renderedTimings.add(rendered);
      if (rendered >= SLOW_FRAME_MS) {
        parts["browser"] = end - scriptEnd - late;
        this.slowFrames.push({ at: t0 - this.timingsSince, rendered, applied, parts });
        if (this.slowFrames.length > SLOW_FRAMES_KEPT) this.slowFrames.shift();
      }
    });
  }

  resetTimings(): void {
    this.applyTimings.clear();
    this.redrawTimings.clear();
    this.frameTimings.clear();
    this.renderedTimings.clear();
    for (const t of this.sections.values()) t.clear();
    this.slowFrames.length = 0;
    this.timingsSince = this.env.perf();
  }

  dispose(): void {
    this.disposed = true;
    this.parts.length = 0;
    this.dirty.clear();
  }

  private requestFrame(): void {
    if (this.requested || this.disposed) return;
    this.requested = true;
    this.env.requestFrame(() => this.flush());
  }

  private sectionTimings(name: string): Timings {
    let t = this.sections.get(name);
    if (t === undefined) this.sections.set(name, (t = new Timings(512)));
    return t;
  }
}
