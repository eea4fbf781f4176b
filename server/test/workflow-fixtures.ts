/**
 * A small medical community for workflow and referral tests (not a test file itself):
 *
 *   C 南川区医共体 (the community's office; a medical-affairs officer holds a PractitionerRole here)
 *   ├─ H 南川区人民医院 (county hospital) └─ HD 心内科 (department)
 *   ├─ T1 大观镇卫生院 (township centre) └─ V1 金龙村卫生室 (village clinic)
 *   └─ T2 南平镇卫生院 (another township: a third party that must neither see nor act)
 *
 * Patient P1 is managed by V1 (so in T1's catchment); a ServiceRequest addressed to H and HD puts P1 in their catchment.
 */
import { randomUUID } from 'node:crypto';
import type { YiwangApp } from '../src/app.js';
import type { TestClient } from './helpers/db.js';
import type { WorkflowDefinition } from '../src/platform/workflow/definition.js';

export interface Community {
  tenant: string;
  ids: Record<'C' | 'H' | 'HD' | 'T1' | 'V1' | 'T2' | 'OUT', string>;
  patient: string;
  serviceRequest: string;
  practitioners: Record<'township' | 'village' | 'county' | 'dept' | 'other' | 'affairs' | 'countyT2', string>;
}

export async function buildCommunity(yiwang: YiwangApp, tenant: string): Promise<Community> {
  const repo = yiwang.systemRepository(tenant);
  const s = randomUUID().slice(0, 8);
  const ids = { C: `C-${s}`, H: `H-${s}`, HD: `HD-${s}`, T1: `T1-${s}`, V1: `V1-${s}`, T2: `T2-${s}`, OUT: `OUT-${s}` };
  const org = (id: string, name: string, partOf?: string) => ({
    resourceType: 'Organization',
    id,
    name,
    ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
  });
  for (const o of [
    org(ids.C, '南川区医共体'),
    org(ids.H, '南川区人民医院', ids.C),
    org(ids.HD, '南川区人民医院心内科', ids.H),
    org(ids.T1, '大观镇卫生院', ids.C),
    org(ids.V1, '大观镇金龙村卫生室', ids.T1),
    org(ids.T2, '南平镇卫生院', ids.C),
    org(ids.OUT, '重庆医科大学附属第一医院'),
  ]) {
    await repo.update('Organization', o.id, o);
  }
  const practitioners = {
    township: `pr-t1-${s}`,
    village: `pr-v1-${s}`,
    county: `pr-h-${s}`,
    dept: `pr-hd-${s}`,
    other: `pr-t2-${s}`,
    affairs: `pr-c-${s}`,
    countyT2: `pr-ht2-${s}`,
  };
  const names: Record<string, string> = {
    township: '王医生',
    village: '李村医',
    county: '张主任',
    dept: '陈医生',
    other: '赵医生',
    affairs: '刘科长',
    countyT2: '孙医生',
  };
  for (const [key, id] of Object.entries(practitioners)) {
    await repo.update('Practitioner', id, { resourceType: 'Practitioner', id, name: [{ text: names[key] }] });
  }
  await repo.create({
    resourceType: 'PractitionerRole',
    active: true,
    practitioner: { reference: `Practitioner/${practitioners.affairs}` },
    organization: { reference: `Organization/${ids.C}` },
    code: [{ coding: [{ system: 'urn:yiwang:role', code: 'medical-affairs', display: '医务科' }] }],
  });
  const patient = `P1-${s}`;
  await repo.update('Patient', patient, {
    resourceType: 'Patient',
    id: patient,
    name: [{ text: '刘德华', family: '刘', given: ['德华'] }],
    gender: 'male',
    birthDate: '1958-03-02',
    managingOrganization: { reference: `Organization/${ids.V1}` },
  });
  const sr = await repo.create({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { text: '测试申请 (test request)' },
    subject: { reference: `Patient/${patient}` },
    // The department is named too (as a referral to a department would): its staff see the resident.
    performer: [{ reference: `Organization/${ids.H}` }, { reference: `Organization/${ids.HD}` }],
  });
  return { tenant, ids, patient, serviceRequest: sr.resource.id as string, practitioners };
}

/** Signed-in users of the community's institutions. */
export async function communityUsers(admin: TestClient, c: Community) {
  const as = (roles: string[], org: string, practitioner?: string) =>
    admin.as({ roles, organizationId: org, ...(practitioner ? { practitionerId: practitioner } : {}) });
  return {
    township: await as(['township-doctor'], c.ids.T1, c.practitioners.township),
    village: await as(['village-doctor'], c.ids.V1, c.practitioners.village),
    county: await as(['county-specialist'], c.ids.H, c.practitioners.county),
    dept: await as(['county-specialist'], c.ids.HD, c.practitioners.dept),
    other: await as(['township-doctor'], c.ids.T2, c.practitioners.other),
    /** A county specialist working at the village clinic: sees P1, but is not the receiving institution. */
    countyAtVillage: await as(['county-specialist'], c.ids.V1, c.practitioners.countyT2),
  };
}

/** A review workflow: routine 24 h / urgent 2 h to decide, escalating to the owner's inbox, then medical affairs. */
export function reviewWorkflow(version = '1', effective = '2020-01-01', overrides: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return {
    id: 'test-review',
    version,
    effective,
    title: { zh: '测试审核', en: 'Test review' },
    initial: 'requested',
    states: {
      requested: {
        status: 'requested',
        display: { zh: '待审核', en: 'Awaiting review' },
        due: { default: 'PT24H', urgent: 'PT2H' },
        escalation: [
          { after: { default: 'PT24H', urgent: 'PT2H' }, to: { party: 'owner' } },
          { after: { default: 'PT48H', urgent: 'PT4H' }, to: { practitionerRole: 'medical-affairs', at: 'owner', climb: true } },
        ],
      },
      accepted: { status: 'accepted', display: { zh: '已接收', en: 'Accepted' }, due: 'P1D' },
      rejected: { status: 'rejected', display: { zh: '已拒绝', en: 'Rejected' }, final: true },
      done: { status: 'completed', display: { zh: '已完成', en: 'Completed' }, final: true },
      cancelled: { status: 'cancelled', display: { zh: '已撤销', en: 'Cancelled' }, final: true },
    },
    transitions: [
      {
        action: 'accept',
        display: { zh: '接收', en: 'Accept' },
        from: ['requested'],
        to: 'accepted',
        by: { roles: ['county-specialist'], party: 'owner' },
        notify: [{ party: 'requester' }],
      },
      {
        action: 'reject',
        display: { zh: '拒绝', en: 'Reject' },
        from: ['requested'],
        to: 'rejected',
        by: { roles: ['county-specialist'], party: 'owner' },
        requires: ['reason'],
        notify: [{ party: 'requester' }],
      },
      { action: 'complete', display: { zh: '完成', en: 'Complete' }, from: ['accepted'], to: 'done', by: { party: 'owner' } },
      {
        action: 'cancel',
        display: { zh: '撤销', en: 'Cancel' },
        from: ['requested', 'accepted'],
        to: 'cancelled',
        by: { party: 'requester' },
        requires: ['reason'],
      },
    ],
    ...overrides,
  };
}
