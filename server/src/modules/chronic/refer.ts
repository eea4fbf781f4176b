/**
 * What a follow-up's referral says and where it goes: urgent referrals to the county specialist's institution (the
 * team's specialist, else the institution above the recorder's), routine referrals up one level (village clinic →
 * township centre, township → its county hospital), with the diagnosis, the readings and the reasons of the rules.
 */
import type { FastifyRequest } from 'fastify';
import type { Condition, EpisodeOfCare, Organization, PractitionerRole } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { ChronicDeps } from './deps.js';
import { find, parentOrganization, readRef } from './fhir.js';
import type { RecordedFollowUp } from './followup.js';
import { PROGRAMME_TEXT } from './model.js';
import type { ReferralRequest, ReferralResult } from './referral.js';
import { followUpRow, setReferral, type EpisodeRow } from './store.js';

interface Destination {
  to: string;
  department?: string;
}

/** The specialist's institution: a hospital department is sent as `department` of the hospital above it. */
async function specialistDestination(repo: Repository, specialist: string | null): Promise<Destination | undefined> {
  if (!specialist) return undefined;
  const roles = await find<PractitionerRole>(repo, 'PractitionerRole', `practitioner=${specialist}`, 5);
  const org = await readRef<Organization>(repo, roles.find((r) => r.organization?.reference)?.organization?.reference, 'Organization');
  if (!org) return undefined;
  const isDepartment = org.type?.some((t) => t.coding?.some((c) => c.code === 'dept'));
  return isDepartment && org.partOf?.reference
    ? { to: org.partOf.reference, department: `Organization/${org.id}` }
    : { to: `Organization/${org.id}` };
}

async function destination(
  repo: Repository,
  episode: EpisodeRow,
  recorderOrg: string | undefined,
  urgent: boolean,
): Promise<Destination | undefined> {
  const parent = await parentOrganization(repo, recorderOrg ?? episode.organization ?? undefined);
  const up: Destination | undefined = parent ? { to: parent } : undefined;
  const specialist = await specialistDestination(repo, episode.specialist);
  return urgent ? (specialist ?? up) : (up ?? specialist);
}

export async function referralFor(
  repo: Repository,
  episode: EpisodeRow,
  recorded: Pick<RecordedFollowUp, 'urgent' | 'classification' | 'reasons' | 'date' | 'nextDue' | 'programme'>,
  readings: { sbp?: number | null; dbp?: number | null; glucose?: number | null },
  recorderOrg: string | undefined,
): Promise<ReferralRequest | undefined> {
  const dest = await destination(repo, episode, recorderOrg, recorded.urgent);
  if (!dest) return undefined;
  const ep = await readRef<EpisodeOfCare>(repo, `EpisodeOfCare/${episode.episode_id}`, 'EpisodeOfCare');
  const condition = await readRef<Condition>(repo, ep?.diagnosis?.[0]?.condition, 'Condition');
  const coding = condition?.code?.coding?.[0];
  const values = [
    readings.sbp != null ? `血压 ${readings.sbp}/${readings.dbp} mmHg` : '',
    readings.glucose != null ? `空腹血糖 ${readings.glucose} mmol/L` : '',
  ].filter(Boolean);
  const prog = PROGRAMME_TEXT[recorded.programme];
  return {
    direction: 'up',
    patient: episode.patient,
    ...dest,
    reason: `${recorded.urgent ? '紧急转诊' : '转诊'}：${prog.followUp} ${recorded.date} ${recorded.classification.zh}（${values.join('，')}）`,
    // The referral module wants an ICD-10 code such as I10 or E11.9 (the county's codes carry a local suffix).
    diagnosis: [{ code: icdBase(coding?.code ?? prog.icd), display: coding?.display ?? condition?.code?.text ?? prog.icdText }],
    summary: [`${prog.zh}，${recorded.date} 随访：${values.join('，')}`, ...recorded.reasons].join('；'),
    urgency: recorded.urgent ? 'urgent' : 'routine',
  };
}

/** 'I10.x00' → 'I10', 'E11.900' → 'E11.9': the category with at most one meaningful subdivision digit. */
export function icdBase(code: string): string {
  const m = /^([A-Z]\d{2})(?:\.(\d))?/i.exec(code.trim());
  return m ? `${m[1]!.toUpperCase()}${m[2] ? `.${m[2]}` : ''}` : code;
}

/** Sends the referral a recorded follow-up calls for (after its commit) and notes the result on the index row. */
export async function sendReferral(
  request: FastifyRequest,
  repo: Repository,
  deps: ChronicDeps,
  recorded: RecordedFollowUp,
  episode: EpisodeRow,
  recorderOrg: string | undefined,
): Promise<ReferralResult | undefined> {
  if (recorded.decision.code !== 'refer' && recorded.decision.code !== 'urgent-referral') return undefined;
  const row = await followUpRow(repo, recorded.encounter.slice('Encounter/'.length));
  const body = await referralFor(repo, episode, recorded, { sbp: row?.sbp, dbp: row?.dbp, glucose: row?.glucose }, recorderOrg);
  if (!body)
    return {
      status: 'failed',
      message: '找不到上级机构，无法转诊 (no institution above this one to refer to)',
      urgency: recorded.urgent ? 'urgent' : 'routine',
    };
  let result: ReferralResult;
  try {
    result = await deps.referrals.request(request, body);
  } catch (err) {
    deps.log('chronic: referral request failed', err);
    result = { status: 'failed', message: err instanceof Error ? err.message : String(err), to: body.to, urgency: body.urgency };
  }
  if (result.status === 'created') await setReferral(repo, recorded.encounter.slice('Encounter/'.length), result.id);
  return result;
}

export function needsReferral(decision: string): boolean {
  if (decision !== 'refer' && decision !== 'urgent-referral')
    throw badRequest('This follow-up did not call for a referral (本次随访无需转诊)');
  return true;
}
