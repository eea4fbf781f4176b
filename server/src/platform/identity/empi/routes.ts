/**
 * The resident index on the server: the write hook on Patient, $merge/$unmerge, `$everything` across a
 * person's records, the review queue (/empi/reviews) and golden records read as FHIR Person resources.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf, requireRole } from '../../auth/guard.js';
import { ROLES } from '../../auth/roles.js';
import { setLinkedRecords } from '../../fhir/everything.js';
import { FHIR_BASE, sendOutcome, toFhirError, type FhirHttpOptions } from '../../fhir/http.js';
import { badRequest, FhirError } from '../../fhir/outcomes.js';
import { RawJson } from '../../fhir/raw.js';
import type { Repository } from '../../fhir/repository.js';
import type { OperationHandler } from '../../fhir/router.js';
import { addResourceCheck } from '../../fhir/validate.js';
import { addWriteHook } from '../../fhir/write-hooks.js';
import { linkedRecords, personHistory, personIdOf, readPerson } from './golden.js';
import { onPatientWrite } from './link.js';
import { refusePersonWrites } from './checks.js';
import { mergeOperation, unmergeOperation } from './merge-operation.js';
import { decideReview, listReviews, patientsOf, sideBySide, type ReviewStatus } from './reviews.js';

export interface EmpiDeps {
  /** The caller's repository (tenant and access filter of the request). */
  repositoryFor: (request: FastifyRequest) => Repository | Promise<Repository>;
  /** The FHIR operations map: $merge and $unmerge are added to it. */
  operations: Map<string, OperationHandler>;
  publicBaseUrl?: string | undefined;
  /** Records each FHIR interaction (the access audit), as for the store's own routes. */
  onInteraction?: FhirHttpOptions['onInteraction'];
  /** Masks fields the caller's role may not see (as on every FHIR response). */
  present?: (request: FastifyRequest, body: Resource) => Resource | RawJson;
}

/** Who works the review queue: administrators and the doctors of township health centres and county hospitals. */
export const REVIEWER_ROLES = [ROLES.admin, ROLES.townshipDoctor, ROLES.countySpecialist];

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const STATUSES: ReviewStatus[] = ['open', 'linked', 'distinct', 'withdrawn'];

export async function registerEmpiRoutes(app: FastifyInstance, deps: EmpiDeps): Promise<void> {
  addWriteHook('Patient', 'empi', onPatientWrite);
  // Person is the index's golden record, built from the linked Patient records: nobody writes one directly.
  addResourceCheck('Person', refusePersonWrites);
  setLinkedRecords(linkedRecords);
  deps.operations.set('$merge', mergeOperation);
  deps.operations.set('$unmerge', unmergeOperation);

  const reviewer = { preHandler: requireRole(...REVIEWER_ROLES) };
  app.get('/empi/reviews', reviewer, async (request) => {
    const query = request.query as { status?: string; _count?: string };
    const status = (query.status ?? 'open') as ReviewStatus;
    if (!STATUSES.includes(status)) throw Object.assign(new Error(`status must be one of ${STATUSES.join(', ')}`), { statusCode: 400 });
    const repo = await deps.repositoryFor(request);
    const rows = await listReviews(repo, status, Number(query._count ?? 100) || 100);
    const patients = await patientsOf(repo, rows);
    // A pair is shown only when the caller may see both records.
    const visible = rows.filter((r) => patients.has(r.patient_a) && patients.has(r.patient_b));
    return {
      status,
      count: visible.length,
      reviews: visible.map((r) => sideBySide(r, patients.get(r.patient_a), patients.get(r.patient_b))),
    };
  });

  app.post('/empi/reviews/:id', reviewer, async (request, reply) => {
    const body = (request.body ?? {}) as { decision?: string; reason?: string };
    if (body.decision !== 'link' && body.decision !== 'distinct') {
      return reply.code(400).send({ error: 'invalid_request', error_description: "decision must be 'link' or 'distinct'" });
    }
    const principal = principalOf(request);
    const repo = await deps.repositoryFor(request);
    try {
      const row = await decideReview(
        repo,
        (request.params as { id: string }).id,
        body.decision,
        body.reason,
        principal.username ?? principal.subject,
      );
      const patients = await patientsOf(repo, [row]);
      return sideBySide(row, patients.get(row.patient_a), patients.get(row.patient_b));
    } catch (err) {
      const e = toFhirError(err, request);
      return reply.code(e.status).send({ error: e.status === 404 ? 'not_found' : 'invalid_request', error_description: e.message });
    }
  });

  // Golden records: read-only FHIR Person resources (read, vread, history, search by patient/link/_id).
  const baseUrl = (request: FastifyRequest): string => deps.publicBaseUrl ?? `${request.protocol}://${request.host}${FHIR_BASE}`;
  const fhir =
    (fn: (request: FastifyRequest, repo: Repository) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
      const [path, queryString] = request.url.slice(FHIR_BASE.length + 1).split('?');
      const interaction = { method: 'GET', path: path!, ...(queryString ? { queryString } : {}) };
      try {
        const repo = await deps.repositoryFor(request);
        repo.access.checkInteraction?.('Person', 'read');
        const body = (await fn(request, repo)) as Resource;
        if (request.principal) deps.onInteraction?.(request, { ...interaction, status: 200, responseBody: body });
        if (body.meta?.versionId) reply.header('ETag', `W/"${body.meta.versionId}"`);
        const shown = deps.present ? deps.present(request, body) : body;
        return reply.type(FHIR_JSON).send(shown instanceof RawJson ? shown.text : shown);
      } catch (err) {
        const e = toFhirError(err, request);
        if (request.principal) deps.onInteraction?.(request, { ...interaction, status: e.status });
        return sendOutcome(reply, e);
      }
    };
  const idParam = (request: FastifyRequest): string => (request.params as { id: string }).id;
  app.get(
    `${FHIR_BASE}/Person/:id`,
    fhir((request, repo) => readPerson(repo, idParam(request))),
  );
  app.get(
    `${FHIR_BASE}/Person/:id/_history/:vid`,
    fhir((request, repo) => {
      const vid = (request.params as { vid: string }).vid;
      if (!/^\d{1,9}$/.test(vid))
        throw new FhirError(404, [
          { severity: 'error', code: 'not-found', details: { text: `Person/${idParam(request)}/_history/${vid} not found` } },
        ]);
      return readPerson(repo, idParam(request), Number(vid));
    }),
  );
  app.get(
    `${FHIR_BASE}/Person/:id/_history`,
    fhir((request, repo) => personHistory(repo, idParam(request), baseUrl(request))),
  );
  app.get(
    `${FHIR_BASE}/Person`,
    fhir(async (request, repo) => {
      const q = request.query as Record<string, string | undefined>;
      const patient = (q.patient ?? q.link)?.replace(/^.*Patient\//, '');
      const id = q._id ?? (patient ? await personIdOf(repo, patient) : undefined);
      if (!q._id && !patient) throw badRequest('Search golden records by patient, link or _id', 'Person');
      const entry = [];
      if (id) {
        try {
          entry.push({
            fullUrl: `${baseUrl(request)}/Person/${id}`,
            resource: await readPerson(repo, id),
            search: { mode: 'match' as const },
          });
        } catch (e) {
          if (!(e instanceof FhirError) || (e.status !== 404 && e.status !== 410)) throw e;
        }
      }
      return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry } as Bundle;
    }),
  );
}
