/**
 * The experts' access to the resident's record while the consultation is open (docs/consultation.md, "Access").
 *
 * The platform's access policy puts a resident in a clinician's catchment when a CareTeam of the resident names them
 * as a participant (the 'care-team' relationship, platform/access/filter.ts). So the consultation's CareTeam lists the
 * invited experts while the consultation is open: they read the 360 view and write their opinions with their own
 * rights. On conclusion, rejection or cancellation the CareTeam becomes inactive and its participants are removed:
 * the relationship looks at the current participants only (not at CareTeam.status), so removing them is what ends the
 * access. Who took part stays on the ServiceRequest (participant extensions) and on the opinions (assessor).
 *
 * The CareTeam is the platform's bookkeeping, not a clinical write of the caller: it is written with platform rights
 * inside the caller's transaction (a lead expert closing it would otherwise be checked against the access it removes).
 */
import type { CareTeam, CareTeamParticipant } from '@medplum/fhirtypes';
import { findResources } from '../../platform/fhir/lookup.js';
import { Repository } from '../../platform/fhir/repository.js';
import { CARE_TEAM_ID_SYSTEM, KIND_TEXT, roleCoding, type Kind, type Participant } from './model.js';

/** A repository with platform rights bound to the caller's transaction (same connection, same commit). */
export function platformIn(tx: Repository): Repository {
  return new Repository(tx.db, { ...tx.ctx, access: undefined });
}

export async function careTeamOf(repo: Repository, serviceRequestId: string): Promise<CareTeam | undefined> {
  const [team] = await findResources<CareTeam>(repo, 'CareTeam', `identifier=${CARE_TEAM_ID_SYSTEM}|${serviceRequestId}`, 1);
  return team;
}

const member = (p: Participant): CareTeamParticipant => ({
  role: [{ coding: [roleCoding(p.role)] }],
  member: { reference: p.practitioner },
  ...(p.organization ? { onBehalfOf: { reference: p.organization } } : {}),
  period: { start: p.invitedAt },
});

/** Opens (or widens) the grant: the CareTeam of the consultation with these participants added. */
export async function grantAccess(
  tx: Repository,
  c: { serviceRequestId: string; patient: string; centre: string; kind: Kind },
  added: Participant[],
  at: string,
): Promise<CareTeam> {
  const sys = platformIn(tx);
  const existing = await careTeamOf(sys, c.serviceRequestId);
  const team: CareTeam = existing
    ? { ...existing, participant: [...(existing.participant ?? []), ...added.map(member)] }
    : {
        resourceType: 'CareTeam',
        identifier: [{ system: CARE_TEAM_ID_SYSTEM, value: c.serviceRequestId }],
        status: 'active',
        category: [{ coding: [{ system: 'http://snomed.info/sct', code: '11429006', display: 'Consultation' }], text: '会诊专家组' }],
        name: `会诊专家组：${KIND_TEXT[c.kind].zh}`,
        subject: { reference: c.patient },
        period: { start: at },
        managingOrganization: [{ reference: c.centre }],
        participant: added.map(member),
      };
  const written = (existing ? await sys.update('CareTeam', existing.id as string, team) : await sys.create(team)).resource as CareTeam;
  await sys.flush();
  return written;
}

/** Ends the grant: inactive, period closed, no participant left to match the access relationship. */
export async function revokeAccess(tx: Repository, serviceRequestId: string, at: string): Promise<void> {
  const sys = platformIn(tx);
  const team = await careTeamOf(sys, serviceRequestId);
  if (!team || team.status === 'inactive') return;
  const { participant: _removed, ...rest } = team;
  await sys.update('CareTeam', team.id as string, {
    ...rest,
    status: 'inactive',
    period: { ...(team.period ?? {}), end: at },
    note: [...(team.note ?? []), { time: at, text: '会诊已结束，专家访问授权已收回 (consultation closed: access withdrawn)' }],
  });
  await sys.flush();
}
