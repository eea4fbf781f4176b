/**
 * Checks of values in the JSON bodies of module routes, answering 400 OperationOutcomes that name the field, in English
 * with the Chinese beside it (the web app shows the Chinese).
 */
import { badRequest } from './outcomes.js';

export const badField = (field: string, zh: string, en: string) => badRequest(`${en} (${zh})`, field);

/** A date-time with a time zone (e.g. 2026-12-05T09:00:00+08:00): a local time without a zone is ambiguous. */
export function zonedInstant(v: unknown, field: string): string {
  if (
    typeof v !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) ||
    Number.isNaN(Date.parse(v))
  ) {
    throw badField(
      field,
      '时间格式应为 2026-12-05T09:00:00+08:00',
      `'${field}' must be a date-time with a time zone, e.g. 2026-12-05T09:00:00+08:00`,
    );
  }
  return v;
}

/** A query parameter that is a day (YYYY-MM-DD, from midnight Beijing time) or an instant; the fallback when absent. */
export function dateParam(v: unknown, field: string, fallback: Date): Date {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) return fallback;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00+08:00` : s);
  if (Number.isNaN(d.getTime()))
    throw badRequest(`'${field}' must be a date (YYYY-MM-DD, Beijing time) or an instant (日期格式错误)`, field);
  return d;
}

/** The period of a statistics request (?from=&to=): 'to' defaults to now, 'from' to 30 days before it. */
export function periodParams(query: unknown, now: Date): { from: Date; to: Date } {
  const q = (query ?? {}) as Record<string, unknown>;
  const to = dateParam(q.to, 'to', now);
  const from = dateParam(q.from, 'from', new Date(to.getTime() - 30 * 86_400_000));
  if (from >= to) throw badRequest("'from' must be before 'to' (开始日期应早于结束日期)", 'from');
  return { from, to };
}
