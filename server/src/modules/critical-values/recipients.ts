/**
 * Who must be told of a critical result — directed to the doctor responsible for it, never broadcast:
 *   1. the requester of the order the result answers (Observation.basedOn → ServiceRequest.requester),
 *   2. else the order of the report holding the result (DiagnosticReport.result → DiagnosticReport.basedOn),
 *   3. else the doctor of the visit (Encounter.participant: attender first),
 *   4. else the resident's general practitioner (家庭医生), else the institution managing the resident (its inbox).
 * And who is next when nobody acknowledges: the holder of a PractitionerRole with the escalation code (科室主任,
 * 医务科) at the responsible institution, then up its partOf chain; the institution's inbox when there is none.
 */
import type {
  DiagnosticReport,
  Encounter,
  Observation,
  Organization,
  Patient,
  PractitionerRole,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { findResources, nameOf, readRef, refParts } from './fhir.js';

export type ResponsibleSource = 'service-request' | 'report-order' | 'encounter' | 'general-practitioner' | 'managing-organization';

export interface Responsible {
  /** Notification recipient and Task.owner: 'Practitioner/…' or, for an institution's inbox, 'Organization/…'. */
  recipient: string;
  display?: string;
  source: ResponsibleSource;
  /** The institution escalation starts from ('Organization/…'). */
  institution?: string;
  /** The order the result answers, if known. */
  serviceRequest?: string;
}

const PERSON_TYPES = ['Practitioner', 'PractitionerRole', 'Organization'];

/** A requester / participant / GP reference → a recipient (a PractitionerRole resolves to its practitioner). */
async function actor(
  repo: Repository,
  ref: Reference | undefined,
): Promise<{ recipient: string; display?: string; organization?: string } | undefined> {
  const parts = refParts(ref);
  if (!parts || !PERSON_TYPES.includes(parts.type)) return undefined;
  if (parts.type === 'PractitionerRole') {
    const role = await readRef<PractitionerRole>(repo, ref);
    const practitioner = refParts(role?.practitioner);
    if (!role || !practitioner) return role?.organization?.reference ? { recipient: role.organization.reference } : undefined;
    return {
      recipient: `Practitioner/${practitioner.id}`,
      display: role.practitioner?.display ?? ref?.display,
      organization: role.organization?.reference,
    };
  }
  const resource = await readRef(repo, ref);
  if (!resource) return undefined;
  return { recipient: `${parts.type}/${parts.id}`, display: ref?.display ?? nameOf(resource) };
}

/** The institution a practitioner works at (their first active role), for escalation. */
async function institutionOf(repo: Repository, practitioner: string): Promise<string | undefined> {
  if (practitioner.startsWith('Organization/')) return practitioner;
  const roles = await findResources<PractitionerRole>(repo, 'PractitionerRole', `practitioner=${practitioner}`, 20);
  const role = roles.find((r) => r.active !== false && r.organization?.reference) ?? roles.find((r) => r.organization?.reference);
  return role?.organization?.reference;
}

async function ordersOf(repo: Repository, result: Observation | DiagnosticReport): Promise<{ own: string[]; viaReport: string[] }> {
  const own = (result.basedOn ?? []).map((b) => b.reference ?? '').filter((r) => r.startsWith('ServiceRequest/'));
  const viaReport: string[] = [];
  if (result.resourceType === 'Observation' && result.id) {
    const reports = await findResources<DiagnosticReport>(repo, 'DiagnosticReport', `result=Observation/${result.id}`, 10);
    for (const r of reports) for (const b of r.basedOn ?? []) if (b.reference?.startsWith('ServiceRequest/')) viaReport.push(b.reference);
  }
  return { own, viaReport };
}

export async function findResponsible(repo: Repository, result: Observation | DiagnosticReport): Promise<Responsible | undefined> {
  const patient = await readRef<Patient>(repo, result.subject, ['Patient']);
  const encounter = await readRef<Encounter>(repo, result.encounter, ['Encounter']);
  const fallbackInstitution = encounter?.serviceProvider?.reference ?? patient?.managingOrganization?.reference;
  const withInstitution = async (r: Omit<Responsible, 'institution'> & { organization?: string }): Promise<Responsible> => {
    const { organization, ...rest } = r;
    return { ...rest, institution: organization ?? (await institutionOf(repo, r.recipient)) ?? fallbackInstitution };
  };

  const { own, viaReport } = await ordersOf(repo, result);
  for (const [refs, source] of [
    [own, 'service-request'],
    [viaReport, 'report-order'],
  ] as const) {
    for (const ref of refs) {
      const order = await readRef<ServiceRequest>(repo, ref, ['ServiceRequest']);
      const who = await actor(repo, order?.requester);
      if (who) return withInstitution({ ...who, source, serviceRequest: ref });
    }
  }
  if (encounter?.participant?.length) {
    // The attending doctor first, then the primary performer, then anyone named on the visit.
    const rank = (p: NonNullable<Encounter['participant']>[number]) => {
      const codes = (p.type ?? []).flatMap((t) => t.coding?.map((c) => c.code) ?? []);
      return codes.includes('ATND') ? 0 : codes.includes('PPRF') ? 1 : 2;
    };
    for (const p of [...encounter.participant].sort((a, b) => rank(a) - rank(b))) {
      const who = await actor(repo, p.individual);
      if (who) return withInstitution({ ...who, source: 'encounter' });
    }
  }
  for (const gp of patient?.generalPractitioner ?? []) {
    const who = await actor(repo, gp);
    if (who) return withInstitution({ ...who, source: 'general-practitioner' });
  }
  const managing = patient?.managingOrganization?.reference;
  if (managing && (await readRef(repo, managing, ['Organization']))) {
    return { recipient: managing, display: patient?.managingOrganization?.display, source: 'managing-organization', institution: managing };
  }
  return undefined;
}

export interface EscalationTarget {
  recipients: { reference: string; display?: string }[];
  /** Where the holders were found (or whose inbox was used). */
  organization?: string;
  /** True when no holder of the role exists and the institution's inbox is told instead. */
  inboxFallback: boolean;
}

/** Holders of a PractitionerRole code at `institution` or the nearest institution above it; else its inbox. */
export async function escalationTarget(repo: Repository, institution: string | undefined, roleCode: string): Promise<EscalationTarget> {
  let org = institution;
  const seen = new Set<string>();
  while (org && !seen.has(org) && seen.size < 10) {
    seen.add(org);
    const roles = await findResources<PractitionerRole>(repo, 'PractitionerRole', `organization=${org}&role=${roleCode}`, 20);
    const recipients = roles
      .filter((r) => r.active !== false && refParts(r.practitioner)?.type === 'Practitioner')
      .map((r) => ({ reference: r.practitioner!.reference!, display: r.practitioner?.display }));
    if (recipients.length) return { recipients, organization: org, inboxFallback: false };
    const o = await readRef<Organization>(repo, org, ['Organization']);
    org = o?.partOf?.reference;
  }
  if (!institution) return { recipients: [], inboxFallback: true };
  const o = await readRef<Organization>(repo, institution, ['Organization']);
  return { recipients: [{ reference: institution, display: nameOf(o) }], organization: institution, inboxFallback: true };
}
