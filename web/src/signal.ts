// A value that tells its subscribers when it changes: the page's state is a handful of these, and
// each view subscribes to the ones it shows (docs/architecture.md, "The page"). Pure: no DOM.

export type Listener<T> = (value: T) => void;
export type Unsubscribe = () => void;

export class Signal<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  /** Sets the value; subscribers hear of it only when it differs (Object.is). */
  set(value: T): void {
    if (Object.is(value, this.current)) return;
    this.current = value;
    this.emit();
  }

  /**
   * For state changed in place (the store is mutated, not replaced): tells the subscribers
   * without a new value, so they re-read what they show.
   */
  notify(): void {
    this.emit();
  }

  subscribe(fn: Listener<T>): Unsubscribe {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** How many subscribers: a disposed view leaves none behind (tested). */
  get subscribers(): number {
    return this.listeners.size;
  }

  private emit(): void {
    // A copy: a listener may unsubscribe (or subscribe another) while we iterate.
    for (const fn of [...this.listeners]) fn(this.current);
  }
}

/** A counter bumped on every change of some mutable state (the store). */
export class Version extends Signal<number> {
  constructor() {
    super(0);
  }

  bump(): void {
    this.set(this.value + 1);
  }
}
