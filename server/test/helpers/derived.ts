/**
 * Resource types the modules write in reaction to what is stored (events, docs/events.md): the chronic-disease
 * registry enrols residents with a confirmed hypertension or diabetes diagnosis (EpisodeOfCare) and flags raised
 * readings for confirmation (Flag, Task); the critical-values module alerts on a critical result (Flag, Communication,
 * Task, Provenance). A test that counts what it loaded expects exactly its own resources of every other type, and at
 * least its own of these.
 */
export const DERIVED_TYPES: readonly string[] = ['EpisodeOfCare', 'Flag', 'Task', 'Communication', 'Provenance'];

/** Splits counts per type into the exact part (types nothing derives) and the derived types' counts. */
export function exactPart(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([t]) => !DERIVED_TYPES.includes(t)));
}
