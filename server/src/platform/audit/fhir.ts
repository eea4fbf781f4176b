/** FHIR R4 AuditEvent rendering of an audit row. */
import type { AuditAction, AuditRow } from './types.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const REST = 'http://hl7.org/fhir/restful-interaction';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const BREAK_GLASS_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/audit-break-glass-reason';
export const USER_SYSTEM = 'urn:yiwang:user';
export const ROLE_SYSTEM = 'urn:yiwang:role';

interface Coding {
  system: string;
  code: string;
  display: string;
}

const rest = (code: string, display: string): [Coding, Coding] => [
  { system: EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
  { system: REST, code, display },
];
const AUTH: Coding = { system: DCM, code: '110114', display: 'User Authentication' };
const ALERT: Coding = { system: DCM, code: '110113', display: 'Security Alert' };

/** type, subtype and CRUDE action of each audited action. */
const TYPES: Record<AuditAction, { type: Coding; subtype: Coding; action: 'C' | 'R' | 'U' | 'D' | 'E' }> = (() => {
  const r = (code: string, display: string, action: 'C' | 'R' | 'U' | 'D' | 'E') => {
    const [type, subtype] = rest(code, display);
    return { type, subtype, action };
  };
  return {
    read: r('read', 'read', 'R'),
    vread: r('vread', 'vread', 'R'),
    'search-type': r('search-type', 'search type', 'E'),
    create: r('create', 'create', 'C'),
    update: r('update', 'update', 'U'),
    delete: r('delete', 'delete', 'D'),
    history: r('history', 'history', 'R'),
    export: {
      type: { system: DCM, code: '110106', display: 'Export' },
      subtype: { system: REST, code: 'operation', display: 'operation' },
      action: 'R',
    },
    login: { type: AUTH, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
    'login-failure': { type: AUTH, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
    logout: { type: AUTH, subtype: { system: DCM, code: '110123', display: 'Logout' }, action: 'E' },
    lockout: { type: ALERT, subtype: { system: DCM, code: '110137', display: 'User Security Attributes Changed' }, action: 'E' },
    'token-refused': { type: ALERT, subtype: { system: DCM, code: '110132', display: 'Use of Restricted Function' }, action: 'E' },
    'credential-change': {
      type: ALERT,
      subtype: { system: DCM, code: '110137', display: 'User Security Attributes Changed' },
      action: 'E',
    },
    'policy-change': { type: ALERT, subtype: { system: DCM, code: '110129', display: 'Security Configuration' }, action: 'E' },
  };
})();

const REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function who(userId: string | null, display: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (userId) {
    if (REFERENCE.test(userId)) out.reference = userId;
    else out.identifier = { system: USER_SYSTEM, value: userId };
  }
  if (display) out.display = display;
  return out;
}

function reference(value: string): Record<string, unknown> {
  return REFERENCE.test(value) ? { reference: value } : { display: value };
}

function purposeConcept(code: string): Record<string, unknown> {
  return { coding: [{ system: ACT_REASON, code }] };
}

/** The row as a FHIR R4 AuditEvent. */
export function toAuditEvent(row: AuditRow): Record<string, unknown> {
  const t = TYPES[row.action];
  const purposes: Record<string, unknown>[] = [];
  if (row.purpose) purposes.push(purposeConcept(row.purpose));
  if (row.breakGlass && row.purpose !== 'BTG') {
    purposes.push({ coding: [{ system: ACT_REASON, code: 'BTG', display: 'break the glass' }] });
  }

  const agent: Record<string, unknown> = { who: who(row.userId, row.userDisplay), requestor: true };
  if (row.userId && !REFERENCE.test(row.userId) && !row.userDisplay) (agent.who as Record<string, unknown>).display = row.userId;
  if (!row.userId && !row.userDisplay) agent.who = { display: 'unknown' };
  if (row.role) agent.role = [{ coding: [{ system: ROLE_SYSTEM, code: row.role }], text: row.role }];
  if (row.sourceIp)
    agent.network = { address: row.sourceIp, type: row.sourceIp.includes(':') || /^\d+(\.\d+){3}$/.test(row.sourceIp) ? '2' : '1' };
  if (purposes.length) agent.purposeOfUse = purposes;
  const agents: Record<string, unknown>[] = [agent];
  if (row.institution) {
    agents.push({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass', code: 'PROV', display: 'healthcare provider' }] },
      who: ID.test(row.institution) ? { reference: `Organization/${row.institution}` } : { display: row.institution },
      requestor: false,
    });
  }

  const entity: Record<string, unknown>[] = [];
  if (row.patientId) {
    entity.push({
      what: ID.test(row.patientId) ? { reference: `Patient/${row.patientId}` } : { display: row.patientId },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    });
  }
  for (const r of row.resources) {
    entity.push({
      what: reference(r),
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
    });
  }
  if (row.query) {
    entity.push({
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '24', display: 'Query' },
      query: Buffer.from(row.query, 'utf8').toString('base64'),
    });
  }

  const event: Record<string, unknown> = {
    resourceType: 'AuditEvent',
    id: String(row.pos),
    meta: { tag: [{ system: 'urn:yiwang:tenant', code: row.tenant }] },
    type: t.type,
    subtype: [t.subtype],
    action: t.action,
    recorded: new Date(row.recorded).toISOString(),
    outcome: String(row.outcome),
    agent: agents,
    source: {
      site: row.tenant,
      observer: { display: 'Yiwang' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
  };
  if (row.breakGlass) event.extension = [{ url: BREAK_GLASS_EXTENSION, valueString: row.breakGlass }];
  if (row.detail) event.outcomeDesc = row.detail;
  if (purposes.length) event.purposeOfEvent = purposes;
  if (entity.length) event.entity = entity;
  return event;
}
