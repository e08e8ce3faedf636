// Keeps state.machines and state.machine in step with the store (pure: no DOM). The list is
// recomputed only when a status appears or a new hello arrives, not on every message.
import { chooseMachine, machines } from "./metrics";
import type { PageState } from "./page-state";
import type { Hello } from "./protocol";
import type { Unsubscribe } from "./signal";

export function followMachines(state: PageState): Unsubscribe {
  let version = -1;
  let hello: Hello | undefined;
  const update = () => {
    const store = state.store;
    if (store.structureVersion === version && store.hello === hello) return;
    version = store.structureVersion;
    hello = store.hello;
    const list = machines(store);
    if (list.join("\u0000") !== state.machines.value.join("\u0000")) state.machines.set(list);
    state.machine.set(chooseMachine(list, state.machine.value, store.hello?.hostname));
  };
  update();
  return state.messages.subscribe(update);
}
