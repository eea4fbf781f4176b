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
