/**
 * Consultation fees (会诊费) as dated data (fees/*.json, loaded by the shared rule loader): the version in force on the
 * day a consultation is concluded prices it, so a new price list never changes a concluded consultation's charges.
 * One ChargeItem per applicable price item: the single or multidisciplinary item once, the external-expert item once
 * per external expert (quantity), priceOverride = quantity × unit price, definitionUri = the price version.
 */
import type { ChargeItem } from '@medplum/fhirtypes';
import { inForce, loadDatedFrom, type Dated } from '../reading/dated.js';
import { FEE_SYSTEM, type Kind } from './model.js';

export type FeeBasis = 'single' | 'mdt' | 'external-expert';

export interface FeeItem {
  code: string;
  display: { zh: string; en: string };
  /** Yuan (CNY) per unit. */
  price: number;
  per: FeeBasis;
}

export interface FeeSchedule extends Dated {
  currency: 'CNY';
  note?: string;
  items: FeeItem[];
}

export const FEE_CANONICAL = 'https://yiwang.cn/fhir/consultation-fees';

function checkSchedule(s: FeeSchedule, file: string): void {
  if (s.currency !== 'CNY') throw new Error(`Invalid fee file ${file}: 'currency' must be CNY`);
  if (!Array.isArray(s.items) || !s.items.length) throw new Error(`Invalid fee file ${file}: 'items' must list the price items`);
  for (const [i, item] of s.items.entries()) {
    if (!item.code || !item.display?.zh || !item.display?.en)
      throw new Error(`Invalid fee file ${file}: items[${i}] needs code and zh/en display`);
    if (typeof item.price !== 'number' || !(item.price >= 0)) throw new Error(`Invalid fee file ${file}: items[${i}].price must be ≥ 0`);
    if (!['single', 'mdt', 'external-expert'].includes(item.per)) throw new Error(`Invalid fee file ${file}: items[${i}].per is unknown`);
  }
}

export const loadFeeSchedules = (): FeeSchedule[] => loadDatedFrom<FeeSchedule>(import.meta.url, 'fees', checkSchedule);

export interface ChargeContext {
  kind: Kind;
  externalExperts: number;
  patient: string;
  serviceRequest: string;
  centre: string;
  requesterOrganization?: string;
  enterer?: string;
  concludedAt: Date;
}

/** The ChargeItems a concluded consultation owes under the price version in force on the day it was concluded. */
export function chargesFor(schedules: readonly FeeSchedule[], c: ChargeContext): ChargeItem[] {
  const schedule = inForce(schedules, c.concludedAt);
  const quantity = (item: FeeItem) => (item.per === 'external-expert' ? c.externalExperts : item.per === c.kind ? 1 : 0);
  const at = c.concludedAt.toISOString();
  return schedule.items
    .filter((item) => quantity(item) > 0)
    .map((item) => ({
      resourceType: 'ChargeItem',
      status: 'billable',
      definitionUri: [`${FEE_CANONICAL}|${schedule.version}`],
      code: { coding: [{ system: FEE_SYSTEM, code: item.code, display: item.display.zh }], text: item.display.zh },
      subject: { reference: c.patient },
      occurrenceDateTime: at,
      performingOrganization: { reference: c.centre },
      ...(c.requesterOrganization ? { requestingOrganization: { reference: c.requesterOrganization } } : {}),
      quantity: { value: quantity(item) },
      priceOverride: { value: Math.round(item.price * quantity(item) * 100) / 100, currency: schedule.currency },
      ...(c.enterer ? { enterer: { reference: c.enterer } } : {}),
      enteredDate: at,
      supportingInformation: [{ reference: c.serviceRequest }],
    }));
}
