// The parse worker: every DataChannel message of some size is parsed, validated and has its
// numbers read here (prepare.ts), off the thread that draws the page's frames.
import { WORKER_READY, prepare, transferables } from "./prepare";

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<unknown>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

scope.onmessage = (ev) => {
  const p = prepare(ev.data);
  scope.postMessage(p, transferables(p));
};

// Loaded (zod and all): the page sends it messages from now on, and parses them itself until then.
scope.postMessage(WORKER_READY, []);
