// Opt-in alerts outside the page: a browser notification and a short tone for each new ERROR
// (issue 11 item 4). Off until the user ticks them; remembered in localStorage.
import { h, setData } from "./dom";
import { Scope, type Disposable } from "./scope";
import type { Notifier } from "./title";

const KEY = "chedweb.notify";

interface Choice {
  notify: boolean;
  sound: boolean;
}

function load(): Choice {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Choice>;
    return { notify: v.notify === true, sound: v.sound === true };
  } catch {
    return { notify: false, sound: false };
  }
}

export class NotifySettings implements Disposable, Notifier {
  private readonly scope = new Scope();
  private readonly choice = load();
  private readonly el: HTMLElement;
  private audio: AudioContext | undefined;
  private fired = 0;

  constructor(host: HTMLElement) {
    const notify = h("input", { type: "checkbox", "data-testid": "notify-toggle", checked: this.choice.notify });
    const sound = h("input", { type: "checkbox", "data-testid": "sound-toggle", checked: this.choice.sound });
    this.el = h(
      "span",
      { class: "notify-settings", "data-testid": "notify-settings", role: "group", "aria-label": "On a new ERROR" },
      "On a new ERROR: ",
      h("label", {}, notify, " notify"),
      " ",
      h("label", {}, sound, " sound"),
    );
    this.scope.mount(host, this.el);
    this.scope.on(notify, "change", () => {
      this.choice.notify = notify.checked;
      // Permission is asked for here, on the user's click, as browsers require.
      if (notify.checked && "Notification" in window && Notification.permission === "default") {
        void Notification.requestPermission();
      }
      this.save();
    });
    this.scope.on(sound, "change", () => {
      this.choice.sound = sound.checked;
      this.save();
    });
    this.scope.add(() => void this.audio?.close());
  }

  newError(text: string): void {
    if (!this.choice.notify && !this.choice.sound) return;
    this.fired += 1;
    setData(this.el, "fired", String(this.fired));
    if (this.choice.notify && "Notification" in window && Notification.permission === "granted") {
      new Notification("ChedWeb: new ERROR", { body: text, tag: "chedweb-error" });
    }
    if (this.choice.sound) this.tone();
  }

  dispose(): void {
    this.scope.dispose();
  }

  private tone(): void {
    try {
      this.audio ??= new AudioContext();
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      gain.gain.value = 0.1;
      osc.frequency.value = 880;
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.25);
    } catch {
      // No audio (autoplay policy before any click): the notification still says it.
    }
  }

  private save(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify(this.choice));
    } catch {
      // Not remembered.
    }
  }
}
