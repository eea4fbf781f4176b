/**
 * `Patient/$match` (FHIR R4 operation definition): scored candidates for a resident from the
 * resident index. Candidates are found with indexed searches on the blocking keys (resident ID
 * number, birth date, phone, family name), restricted by the caller's access like any search, then
 * scored with the Fellegi–Sunter rules (identity/matching). Each entry carries `search.score` and
 * the standard match-grade extension: certain (same valid ID number), probable (above the link
 * threshold), possible (review band); certainly-not candidates are left out.
 */
import type { Bundle, BundleEntry, Parameters, Patient } from '@medplum/fhirtypes';
import { badRequest } from '../../fhir/outcomes.js';
import type { Repository } from '../../fhir/repository.js';
import type { FhirRequest, FhirResponse, OperationHandler, RouterContext } from '../../fhir/router.js';
import { parseSearchQuery } from '../../fhir/search/parse.js';
import { buildWhere } from '../../fhir/search/search.js';
import { validateIncoming } from '../../fhir/validate.js';
import { validateIdNumber } from '../id-number.js';
import { scorePair, type PairScore } from '../matching/index.js';
import { patientToPerson, residentIdOf, RESIDENT_ID_SYSTEM } from './person.js';

const MATCH_GRADE = 'http://hl7.org/fhir/StructureDefinition/match-grade';
const BLOCK_LIMIT = 200;

interface MatchInput {
  patient: Patient;
  onlyCertainMatches: boolean;
  count: number;
}

function readInput(body: unknown): MatchInput {
  const params = body as Parameters | undefined;
  if (params?.resourceType !== 'Parameters') throw badRequest('$match takes a Parameters resource', 'resourceType');
  const parameter = params.parameter ?? [];
  const resourceParam = parameter.findIndex((p) => p.name === 'resource');
  if (resourceParam < 0) throw badRequest("Parameter 'resource' (the Patient to match) is required", 'Parameters.parameter');
  const where = `Parameters.parameter[${resourceParam}]`;
  const patient = validateIncoming(parameter[resourceParam].resource, 'Patient', where) as Patient;
  // Resident ID numbers were checked by validateIncoming (the Patient check the resident index registers).
  const only = parameter.find((p) => p.name === 'onlyCertainMatches')?.valueBoolean ?? false;
  const countParam = parameter.find((p) => p.name === 'count');
  const count = countParam?.valueInteger ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw badRequest('count must be an integer from 1 to 100', 'Parameters.parameter.count');
  return { patient, onlyCertainMatches: only, count };
}

/** Blocking: each query is an indexed search; together they catch typos in any one feature. */
function blockingQueries(patient: Patient): Record<string, string>[] {
  const queries: Record<string, string>[] = [];
  const id = residentIdOf(patient);
  if (id) {
    const check = validateIdNumber(id);
    queries.push({ identifier: `${RESIDENT_ID_SYSTEM}|${check.valid ? check.idNumber : id}` });
  }
  if (patient.birthDate) queries.push({ birthdate: patient.birthDate });
  const phone = patient.telecom?.find((t) => t.system === 'phone' || t.system === 'sms')?.value;
  if (phone) queries.push({ phone });
  const family = patient.name?.[0]?.family;
  // Starts-with: the :exact form cannot use the string index's range (it filters every family name of the type).
  if (family) queries.push({ family });
  return queries;
}

async function candidates(repo: Repository, patient: Patient, baseUrl: string): Promise<Patient[]> {
  const ids = new Set<string>();
  for (const query of blockingQueries(patient)) {
    const where = buildWhere(repo, parseSearchQuery('Patient', query), { baseUrl });
    const rows = await repo.query<{ id: string }>(
      `SELECT r.id FROM ${where.from} WHERE ${where.sql} LIMIT ${BLOCK_LIMIT}`,
      where.params.values,
    );
    for (const r of rows) ids.add(r.id);
  }
  if (!ids.size) return [];
  const where = buildWhere(repo, parseSearchQuery('Patient', { _id: [...ids].join(',') }), { baseUrl });
  const rows = await repo.query<{ content: string }>(`SELECT r.content FROM ${where.from} WHERE ${where.sql}`, where.params.values);
  return rows.map((r) => JSON.parse(r.content) as Patient);
}

type Grade = 'certain' | 'probable' | 'possible';

function grade(score: PairScore): Grade | undefined {
  if (score.decision === 'match') return score.reason === 'id-number' ? 'certain' : 'probable';
  if (score.decision === 'review') return 'possible';
  return undefined;
}

/** The match weight is a log2 likelihood ratio; as a probability with even prior odds it reads naturally as a score. */
const probability = (weight: number): number => Math.round((1 / (1 + Math.pow(2, -weight))) * 1000) / 1000;

export async function matchPatient(repo: Repository, body: unknown, baseUrl: string): Promise<Bundle> {
  const input = readInput(body);
  const person = patientToPerson(input.patient);
  const scored = (await candidates(repo, input.patient, baseUrl))
    .map((candidate) => ({ candidate, score: scorePair(person, patientToPerson(candidate)) }))
    .map((s) => ({ ...s, grade: grade(s.score) }))
    .filter((s): s is typeof s & { grade: Grade } => !!s.grade && (!input.onlyCertainMatches || s.grade === 'certain'))
    .sort((a, b) => b.score.weight - a.score.weight)
    .slice(0, input.count);
  const entry: BundleEntry[] = scored.map((s) => ({
    fullUrl: `${baseUrl}/Patient/${s.candidate.id}`,
    resource: s.candidate,
    search: { mode: 'match', score: probability(s.score.weight), extension: [{ url: MATCH_GRADE, valueCode: s.grade }] },
  }));
  return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
}

export const matchOperation: OperationHandler = async (
  repo: Repository,
  req: FhirRequest,
  ctx: RouterContext,
  target,
): Promise<FhirResponse> => {
  if (target.resourceType !== 'Patient' || target.id || req.method.toUpperCase() !== 'POST') {
    throw badRequest('$match is invoked as POST Patient/$match');
  }
  return { status: 200, body: await matchPatient(repo, req.body, ctx.baseUrl) };
};
