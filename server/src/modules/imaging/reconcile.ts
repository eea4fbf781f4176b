/**
 * The reconciliation queue (待核对影像): studies stored in the archive that could not be tied to a resident with
 * certainty, or came without a request. A doctor of the uploading institution (or an administrator) decides: attach
 * the study to one of the institution's open imaging requests — the person confirms it is that resident — or set it
 * aside with a reason. The study stays in the archive either way.
 */
import type { ServiceRequest } from '@medplum/fhirtypes';
import { badRequest, conflict, forbidden, notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { organizationChain } from '../../platform/workflow/actor.js';
import { actorRef, type CaseScope } from '../reading/access.js';
import type { DicomPatient } from '../../platform/exchange/dicomweb/dicom.js';
import type { Intake } from './intake.js';
import { isImagingRequest } from './request.js';
import { requesterOrgOf } from '../reading/request.js';
import type { InstanceInfo } from './study.js';

export interface ReconciliationRow {
  id: string;
  study_uid: string;
  reason: string;
  detail: string;
  demographics: string;
  modality: string | null;
  instances: number;
  service_request: string | null;
  requester_org: string | null;
  uploaded_by: string | null;
  created_at: string | Date;
  status: string;
  resolved_by: string | null;
  resolved_at: string | Date | null;
  imaging_study: string | null;
}

const DECIDERS = ['township-doctor', 'village-doctor', 'county-specialist', 'admin'];

export function present(r: ReconciliationRow) {
  const detail = JSON.parse(r.detail) as { detail: string; instances: InstanceInfo[] };
  return {
    id: r.id,
    studyUid: r.study_uid,
    reason: r.reason,
    detail: detail.detail,
    demographics: JSON.parse(r.demographics) as Record<string, string>,
    modality: r.modality,
    instances: r.instances,
    serviceRequest: r.service_request,
    requesterOrganization: r.requester_org,
    uploadedBy: r.uploaded_by,
    createdAt: new Date(r.created_at).toISOString(),
    status: r.status,
    ...(r.resolved_by ? { resolvedBy: r.resolved_by, resolvedAt: new Date(r.resolved_at as string).toISOString() } : {}),
    ...(r.imaging_study ? { imagingStudy: r.imaging_study } : {}),
  };
}

export async function listReconciliation(system: Repository, scope: CaseScope, status: string) {
  const params: unknown[] = [system.tenant, status];
  let where = '';
  if (!scope.all) {
    params.push(scope.subtree);
    where = ' AND requester_org = ANY($3::text[])';
  }
  const rows = await system.query<ReconciliationRow>(
    `SELECT * FROM imaging_reconciliation WHERE tenant = $1 AND status = $2${where} ORDER BY created_at DESC LIMIT 200`,
    params,
  );
  return rows.map(present);
}

async function entryFor(tx: Repository, scope: CaseScope, id: string): Promise<ReconciliationRow> {
  const [row] = await tx.query<ReconciliationRow>('SELECT * FROM imaging_reconciliation WHERE tenant = $1 AND id = $2 FOR UPDATE', [
    tx.tenant,
    id,
  ]);
  if (!row || (!scope.all && !(row.requester_org && scope.subtree.includes(row.requester_org))))
    throw notFound(`Reconciliation entry ${id} is not found (未找到待核对影像)`);
  if (row.status !== 'open') throw conflict(`Reconciliation entry ${id} is already ${row.status} (已处理)`);
  return row;
}

export async function resolveReconciliation(
  intake: Intake,
  repo: Repository,
  actor: Actor,
  scope: CaseScope,
  id: string,
  body: unknown,
  now: Date,
) {
  if (!actor.roles.some((r) => DECIDERS.includes(r))) throw forbidden('Your role cannot reconcile studies (您的角色不能核对影像)');
  const b = (body ?? {}) as Record<string, unknown>;
  const ref = typeof b.request === 'string' ? b.request.trim() : '';
  const m = /^ServiceRequest\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  if (!m)
    throw badRequest("'request' must be 'ServiceRequest/<id>': the imaging request this study answers (请选择对应的检查申请)", 'request');
  if (b.confirm !== true)
    throw badRequest("'confirm' must be true: you confirm the study is of the request's resident (请确认影像属于该居民)", 'confirm');
  const sr = (await repo.read('ServiceRequest', m[1]!)) as ServiceRequest;
  if (!isImagingRequest(sr) || sr.status !== 'active') throw conflict(`${ref} is not an active imaging request (不是有效的影像检查申请)`);
  const chain = await organizationChain(repo.db, repo.tenant, actor.organizationId);
  if (!scope.all && !chain.includes(requesterOrgOf(sr) ?? ''))
    throw forbidden('Only the requesting institution attaches studies to its requests (只有申请机构可以核对)');
  return repo.withTransaction(async (tx) => {
    const row = await entryFor(tx, scope, id);
    const { instances } = JSON.parse(row.detail) as { instances: InstanceInfo[] };
    const who = actorRef(actor);
    const linked = await intake.link(
      tx,
      actor,
      instances,
      sr,
      now,
      `人工核对：由 ${who} 确认属于该居民 (reconciled by hand)`,
      JSON.parse(row.demographics) as DicomPatient,
    );
    await tx.query(
      `UPDATE imaging_reconciliation SET status = 'resolved', resolved_by = $3, resolved_at = $4, imaging_study = $5, service_request = $6 WHERE tenant = $1 AND id = $2`,
      [tx.tenant, id, who, now.toISOString(), linked.imagingStudy, ref],
    );
    return { id, ...linked, patient: sr.subject?.reference };
  });
}

export async function discardReconciliation(system: Repository, actor: Actor, scope: CaseScope, id: string, body: unknown, now: Date) {
  if (!actor.roles.some((r) => DECIDERS.includes(r))) throw forbidden('Your role cannot reconcile studies (您的角色不能核对影像)');
  const reason =
    typeof (body as Record<string, unknown>)?.reason === 'string' ? ((body as Record<string, string>).reason ?? '').trim() : '';
  if (reason.length < 2) throw badRequest("'reason' is required to set a study aside (请填写原因)", 'reason');
  return system.withTransaction(async (tx) => {
    const row = await entryFor(tx, scope, id);
    const who = actorRef(actor);
    const detail = JSON.parse(row.detail) as Record<string, unknown>;
    await tx.query(
      `UPDATE imaging_reconciliation SET status = 'discarded', resolved_by = $3, resolved_at = $4, detail = $5 WHERE tenant = $1 AND id = $2`,
      [tx.tenant, id, who, now.toISOString(), JSON.stringify({ ...detail, discardReason: reason })],
    );
    return { id, status: 'discarded' };
  });
}
