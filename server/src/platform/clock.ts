/**
 * The platform's clock. Deadlines, escalations and scheduled jobs read the time from here, so tests can move time
 * forward instead of waiting (a controllable clock) and every part of one app agrees on "now".
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand: `advance('PT15M')`, `set('2026-12-05T08:00:00+08:00')`. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = new Date()) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }

  /** Moves forward by milliseconds or an ISO 8601 duration (PT10M, P2D). */
  advance(by: number | string): void {
    this.current += typeof by === 'number' ? by : durationMs(by);
  }
}

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration of weeks, days, hours, minutes and seconds (no months or years: their length varies). */
export function durationMs(duration: string): number {
  const m = DURATION.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) throw new Error(`'${duration}' is not an ISO 8601 duration such as PT10M or P14D`);
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}
