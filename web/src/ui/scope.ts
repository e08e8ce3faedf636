// What a view acquired (listeners, subscriptions, timers, observers, DOM), released in one call:
// every view has a Scope and its dispose() is scope.dispose().
import type { Signal, Unsubscribe } from "../signal";

/** Anything that tells a callback when it changes (any Signal). */
export interface Subscribable {
  subscribe(fn: () => void): Unsubscribe;
}

export interface Disposable {
  dispose(): void;
}

export class Scope implements Disposable {
  private cleanups: (() => void)[] = [];
  private disposed = false;

  /** Runs `cleanup` on dispose (in reverse order of adding, like nested try/finally). */
  add(cleanup: () => void): void {
    if (this.disposed) cleanup();
    else this.cleanups.push(cleanup);
  }

  on(target: EventTarget, type: string, fn: (ev: Event) => void, capture = false): void {
    target.addEventListener(type, fn, capture);
    this.add(() => target.removeEventListener(type, fn, capture));
  }

  watch<T>(signal: Signal<T>, fn: (value: T) => void): void {
    this.add(signal.subscribe(fn));
  }

  /** Calls `fn` whenever any of `sources` changes (a view invalidating itself). */
  onAny(sources: Subscribable[], fn: () => void): void {
    for (const src of sources) this.add(src.subscribe(fn));
  }

  interval(fn: () => void, ms: number): void {
    const id = setInterval(fn, ms);
    this.add(() => clearInterval(id));
  }

  /** A one-shot timer; the returned function cancels it early. */
  timeout(fn: () => void, ms: number): () => void {
    const id = setTimeout(fn, ms);
    const cancel = () => clearTimeout(id);
    this.add(cancel);
    return cancel;
  }

  /** Appends `node` to `parent` now and removes it on dispose: the view's DOM goes with it. */
  mount<N extends Node>(parent: Node, node: N): N {
    parent.appendChild(node);
    this.add(() => node.parentNode?.removeChild(node));
    return node;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const fn of this.cleanups.reverse()) fn();
    this.cleanups = [];
  }
}
