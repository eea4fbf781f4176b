/** A tiny parameterised-SQL builder: values never become SQL text, whatever they contain. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(start: unknown[] = []) {
    this.values.push(...start);
  }

  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return '$' + this.values.length;
  }
}

/** Escapes LIKE metacharacters so that user text is matched literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** PostgreSQL's text form of a timestamptz ('2020-05-01 08:00:00.123+08') as an ISO instant in UTC. */
export function pgTimestampToIso(value: string): string {
  const normalized = value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  return new Date(normalized).toISOString();
}
