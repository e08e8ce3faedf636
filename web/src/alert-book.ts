// The bridge's alert state as the page holds it (pure): acknowledgements and mutes, kept by the
// bridge so that every browser sees the same ones (issue 11 item 4, docs/protocol.md "alert_state").
import type { Alert } from "./alerts";

export interface AckRecord {
  key: string;
  /** The level acknowledged: the acknowledgement holds until the alert's level changes. */
  level: number;
  by: string;
  /** Bridge clock, epoch seconds. */
  at: number;
}

export interface MuteRecord {
  key: string;
  /** Bridge clock, epoch seconds. */
  until: number;
  by: string;
  at: number;
}

export interface AlertBook {
  acks: ReadonlyMap<string, AckRecord>;
  mutes: ReadonlyMap<string, MuteRecord>;
  /** Bridge clock minus page clock (ms) when the state arrived: mutes expire on the bridge's clock. */
  offsetMs: number;
}

export const EMPTY_BOOK: AlertBook = { acks: new Map(), mutes: new Map(), offsetMs: 0 };

export function bookFromMessage(
  msg: { now: number; acks: AckRecord[]; mutes: MuteRecord[] },
  pageNowMs: number,
): AlertBook {
  return {
    acks: new Map(msg.acks.map((a) => [a.key, a])),
    mutes: new Map(msg.mutes.map((m) => [m.key, m])),
    offsetMs: msg.now * 1000 - pageNowMs,
  };
}

/** The acknowledgement that covers this alert: one given at the level it has now. */
export function ackOf(book: AlertBook, alert: Alert): AckRecord | undefined {
  const ack = book.acks.get(alert.key);
  return ack !== undefined && ack.level === alert.level ? ack : undefined;
}

/** The mute that covers this alert now (page clock, corrected to the bridge's). */
export function muteOf(book: AlertBook, alert: Alert, pageNowMs: number): MuteRecord | undefined {
  const mute = book.mutes.get(alert.key);
  return mute !== undefined && mute.until * 1000 > pageNowMs + book.offsetMs ? mute : undefined;
}

/** Alerts that still want attention: neither acknowledged at their level nor muted. */
export function unhandled(alerts: readonly Alert[], book: AlertBook, pageNowMs: number): Alert[] {
  return alerts.filter((a) => ackOf(book, a) === undefined && muteOf(book, a, pageNowMs) === undefined);
}
