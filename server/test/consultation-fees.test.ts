/**
 * Consultation fees as dated data: the shipped price file loads, and a price version with a later effective date
 * prices only consultations concluded on or after that day (China time); earlier ones keep the old prices.
 */
import { describe, expect, it } from 'vitest';
import { chargesFor, loadFeeSchedules, type ChargeContext, type FeeSchedule } from '../src/modules/consultation/fees.js';

const base: Omit<ChargeContext, 'concludedAt'> = {
  kind: 'mdt',
  externalExperts: 2,
  patient: 'Patient/p1',
  serviceRequest: 'ServiceRequest/sr1',
  centre: 'Organization/hc',
  requesterOrganization: 'Organization/t1',
  enterer: 'Practitioner/lead',
};

describe('consultation fees', () => {
  const shipped = loadFeeSchedules();
  const raised: FeeSchedule = {
    ...shipped[0],
    version: '2027-03-01',
    effective: '2027-03-01',
    items: shipped[0].items.map((i) => ({ ...i, price: i.price * 2 })),
  };
  const versions = [...shipped, raised];
  const priced = (at: string, ctx: Partial<ChargeContext> = {}) =>
    chargesFor(versions, { ...base, ...ctx, concludedAt: new Date(at) }).map((c) => [
      c.code?.coding?.[0]?.code,
      c.quantity?.value,
      c.priceOverride?.value,
      c.definitionUri?.[0],
    ]);

  it('loads the shipped price list: single, MDT and external expert items in CNY', () => {
    expect(shipped[0]).toMatchObject({ version: '2026-01-01', effective: '2026-01-01', currency: 'CNY' });
    expect(shipped[0].items.map((i) => [i.code, i.per])).toEqual([
      ['consult-single', 'single'],
      ['consult-mdt', 'mdt'],
      ['consult-external', 'external-expert'],
    ]);
  });

  it('prices a consultation by the version in force on the day it is concluded (China time)', () => {
    // 2027-02-28 23:30 in Beijing is still the old price list's day.
    expect(priced('2027-02-28T15:30:00Z')).toEqual([
      ['consult-mdt', 1, 300, 'https://yiwang.cn/fhir/consultation-fees|2026-01-01'],
      ['consult-external', 2, 1000, 'https://yiwang.cn/fhir/consultation-fees|2026-01-01'],
    ]);
    // 2027-03-01 00:30 in Beijing: the new prices.
    expect(priced('2027-02-28T16:30:00Z')).toEqual([
      ['consult-mdt', 1, 600, 'https://yiwang.cn/fhir/consultation-fees|2027-03-01'],
      ['consult-external', 2, 2000, 'https://yiwang.cn/fhir/consultation-fees|2027-03-01'],
    ]);
  });

  it('charges a single-specialty consultation without external experts one item, attributed to the centre and the requester', () => {
    const [charge, ...rest] = chargesFor(versions, {
      ...base,
      kind: 'single',
      externalExperts: 0,
      concludedAt: new Date('2026-12-05T02:00:00Z'),
    });
    expect(rest).toEqual([]);
    expect(charge).toMatchObject({
      resourceType: 'ChargeItem',
      status: 'billable',
      subject: { reference: 'Patient/p1' },
      performingOrganization: { reference: 'Organization/hc' },
      requestingOrganization: { reference: 'Organization/t1' },
      quantity: { value: 1 },
      priceOverride: { value: 100, currency: 'CNY' },
      supportingInformation: [{ reference: 'ServiceRequest/sr1' }],
    });
  });
});
