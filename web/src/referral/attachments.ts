/** One line for an attached record: "空腹血糖 7.8 mmol/L (2026-11-20)", or its reference when not visible. */
import { codeText, day } from '../api/format';
import type { Observation, Resource } from '../api/types';

export function attachmentText(a: { reference: string; resource: Resource | null }): string {
  const r = a.resource as (Resource & Partial<Observation> & { date?: string; description?: string }) | null;
  if (!r) return a.reference;
  const value = r.valueQuantity ? `${r.valueQuantity.value ?? ''} ${r.valueQuantity.unit ?? ''}`.trim() : (r.valueString ?? '');
  const when = day(r.effectiveDateTime ?? r.issued ?? r.date);
  return [codeText(r.code) !== '—' ? codeText(r.code) : (r.description ?? r.resourceType), value, when !== '—' ? `(${when})` : '']
    .filter(Boolean)
    .join(' ');
}
