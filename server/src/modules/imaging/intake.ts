/**
 * Intake of uploaded DICOM files (STOW-RS at /dicomweb/studies, which the web page also uses):
 *
 *   1. every file must be a DICOM Part 10 file — checked before anything is stored;
 *   2. files go to the archive; the archive's own parser refuses corrupt ones;
 *   3. each instance must carry pixel data and be of a modality the centre reads (DR/CR, CT, MR, US), all of one study;
 *   4. the request (?request=ServiceRequest/id, the caller's own) names the resident; the header's demographics are
 *      matched against them (match.ts). A match becomes, in one database transaction, the ImagingStudy, the reading
 *      task on the centre's worklist and its index row; no request or no certain match becomes a reconciliation entry.
 *
 * Any refusal after step 2 deletes the instances this upload added to the archive (not those it held already), so a
 * refused upload leaves nothing behind; a reconciliation entry keeps the study, so nothing is lost.
 */
import { randomUUID } from 'node:crypto';
import type { ImagingStudy, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { dicomPatient, isDicomPart10, type DicomPatient } from '../../platform/exchange/dicomweb/dicom.js';
import { OrthancError, type OrthancClient } from '../../platform/exchange/dicomweb/orthanc.js';
import { badRequest, conflict } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { chinaDate } from '../../platform/workflow/definition.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { actorRef } from '../reading/access.js';
import { caseOfRequest, updateCase, type ReadingCase } from '../reading/cases.js';
import { CENTRE, itemOn, MODALITIES, studyIdentifier } from './model.js';
import { matchStudy, maskedDemographics } from './match.js';
import { isImagingRequest, itemCodeOf } from './request.js';
import { materialArrived, ownActiveRequest, requesterOrgOf, startCase } from '../reading/request.js';
import { imagingProfile } from './profile.js';
import { buildImagingStudy, instanceInfo, sourcePatientIdentifier, type InstanceInfo } from './study.js';

export interface IntakeResult {
  outcome: 'linked' | 'reconciliation';
  studyUid: string;
  instances: InstanceInfo[];
  imagingStudy?: string;
  task?: string;
  reconciliation?: string;
  reason?: string;
}

/** DR images arrive as DX (digital radiography) or CR (computed radiography); a DX request accepts both. */
const sameModality = (requested: string, sent: string) =>
  requested === sent || (['DX', 'CR'].includes(requested) && ['DX', 'CR'].includes(sent));

/** The reading task of an imaging request (state awaiting-images). */
export function startImagingCase(
  engine: WorkflowEngine,
  tx: Repository,
  actor: Actor,
  sr: ServiceRequest,
  now: Date,
): Promise<ReadingCase> {
  const item = itemOn(itemCodeOf(sr), now);
  return startCase(engine, tx, actor, sr, now, {
    centre: CENTRE,
    ...(item ? { itemCode: item.code, modality: item.modality } : {}),
    description: `${sr.code?.text ?? '影像检查'}：${sr.reasonCode?.[0]?.text ?? ''}`,
  });
}

export class Intake {
  constructor(
    private readonly archive: OrthancClient,
    private readonly engine: WorkflowEngine,
    private readonly now: () => Date,
  ) {}

  async upload(repo: Repository, system: Repository, actor: Actor, files: Buffer[], requestRef?: string): Promise<IntakeResult> {
    files.forEach((f, i) => {
      if (!isDicomPart10(f))
        throw badRequest(
          `File ${i + 1} of ${files.length} is not a DICOM file (no DICM preamble): nothing was stored — 第${i + 1}个文件不是DICOM文件，未保存任何文件`,
        );
    });
    const sr = requestRef ? await this.requestFor(repo, actor, requestRef) : undefined;
    const added: string[] = [];
    try {
      const instances: InstanceInfo[] = [];
      let demographics: DicomPatient | undefined;
      for (const [i, file] of files.entries()) {
        let stored;
        try {
          stored = await this.archive.store(file);
        } catch (err) {
          if (err instanceof OrthancError && err.status === 400)
            throw badRequest(
              `File ${i + 1} of ${files.length} cannot be read as DICOM (${err.message}): nothing was stored — 第${i + 1}个文件已损坏，无法读取`,
            );
          throw err;
        }
        if (stored.status !== 'AlreadyStored') added.push(stored.id);
        const tags = await this.archive.tags(stored.id);
        const info = instanceInfo(tags);
        if (!(MODALITIES as readonly string[]).includes(info.modality))
          throw badRequest(
            `File ${i + 1} is of modality '${info.modality || 'none'}', not one the imaging centre reads (${MODALITIES.join(', ')}) — 第${i + 1}个文件不是DR/CT/MR/超声影像`,
          );
        if (!(await this.archive.hasPixelData(stored.id)))
          throw badRequest(
            `File ${i + 1} holds no pixel data (an image is needed, not a report or a waveform) — 第${i + 1}个文件没有图像数据`,
          );
        if (instances.length && info.studyUid !== instances[0]!.studyUid)
          throw badRequest('The files belong to more than one study; upload one study at a time (一次只能上传一个检查的影像)');
        instances.push(info);
        demographics ??= dicomPatient(tags);
      }
      const result = await this.record(repo, system, actor, instances, demographics ?? {}, sr);
      return result;
    } catch (err) {
      // Nothing half-done: the instances this upload added leave the archive again.
      for (const id of added) await this.archive.deleteInstance(id).catch(() => undefined);
      throw err;
    }
  }

  /** The request an upload answers: visible to the caller, an imaging request, active, and the caller's institution's. */
  private requestFor(repo: Repository, actor: Actor, ref: string): Promise<ServiceRequest> {
    return ownActiveRequest(repo, actor, ref, imagingProfile, isImagingRequest);
  }

  private async record(
    repo: Repository,
    system: Repository,
    actor: Actor,
    instances: InstanceInfo[],
    demographics: DicomPatient,
    sr: ServiceRequest | undefined,
  ): Promise<IntakeResult> {
    const studyUid = instances[0]!.studyUid;
    if (!studyUid) throw badRequest('The files have no Study Instance UID (影像缺少检查UID)');
    const now = this.now();
    if (!sr)
      return this.reconcile(system, actor, instances, demographics, undefined, 'no-request', 'uploaded without a request (无申请单)');
    const item = itemOn(itemCodeOf(sr), now);
    const sent = instances[0]!.modality;
    if (item && !sameModality(item.modality, sent))
      throw badRequest(`The request is for ${item.modality} (${item.name}) but the files are ${sent} (影像类型与申请不符)`, 'request');
    const patient = (await system.read('Patient', (sr.subject?.reference ?? '').replace('Patient/', ''))) as Patient;
    const match = matchStudy(patient, demographics, chinaDate(now));
    if (match.decision !== 'match')
      return this.reconcile(system, actor, instances, demographics, sr, match.decision === 'review' ? 'review' : 'no-match', match.reason);
    return repo.withTransaction(async (tx) => {
      const linked = await this.link(tx, actor, instances, sr, now, match.reason, demographics);
      return { outcome: 'linked' as const, studyUid, instances, ...linked };
    });
  }

  /**
   * Inside the caller's transaction: the ImagingStudy (new or with the added series), and the reading task with its
   * index row when the request has none yet; a request sent back by quality control goes back to the worklist.
   */
  async link(
    tx: Repository,
    actor: Actor,
    instances: InstanceInfo[],
    sr: ServiceRequest,
    now: Date,
    note?: string,
    source?: DicomPatient,
  ): Promise<{ imagingStudy: string; task: string }> {
    const studyUid = instances[0]!.studyUid;
    const id = studyIdentifier(studyUid);
    // Looked up on the transaction's own connection (PGlite has one) and over every resident, not the caller's only.
    const found = await tx.query<{ content: string }>(
      `SELECT content FROM "ImagingStudy" WHERE tenant = $1 AND NOT deleted AND p_identifier && ARRAY[$2]::text[] LIMIT 1`,
      [tx.tenant, `${id.system}|${id.value}`],
    );
    const existing = found[0] ? (JSON.parse(found[0].content) as ImagingStudy) : undefined;
    const patient = sr.subject?.reference as string;
    if (existing && existing.subject?.reference !== patient)
      throw conflict(
        `Study ${studyUid} is already in the record of another resident; it cannot be attached to ${patient} (该影像已属于其他居民)`,
      );
    const study = buildImagingStudy(instances, {
      patient,
      serviceRequest: `ServiceRequest/${sr.id}`,
      referrer: sr.requester?.reference?.startsWith('Practitioner/') ? sr.requester.reference : undefined,
      existing,
      note,
      sourcePatientId: source && sourcePatientIdentifier(source, requesterOrgOf(sr)),
    });
    const written = existing
      ? ((await tx.update('ImagingStudy', existing.id as string, study, { ifMatch: existing.meta?.versionId })).resource as ImagingStudy)
      : ((await tx.create(study)).resource as ImagingStudy);
    const imagingStudy = `ImagingStudy/${written.id}`;
    const at = now.toISOString();
    const c = (await caseOfRequest(tx, `ServiceRequest/${sr.id}`)) ?? (await startImagingCase(this.engine, tx, actor, sr, now));
    await updateCase(tx, c.task_id, { study_uid: studyUid, imaging_study: imagingStudy, images_at: at, modality: instances[0]!.modality });
    await materialArrived(this.engine, tx, actor, c.task_id, { zh: `已上传影像 ${instances.length} 幅`, en: 'images received' });
    return { imagingStudy, task: c.task_id };
  }

  private async reconcile(
    system: Repository,
    actor: Actor,
    instances: InstanceInfo[],
    demographics: DicomPatient,
    sr: ServiceRequest | undefined,
    reason: 'no-request' | 'review' | 'no-match',
    detail: string,
  ): Promise<IntakeResult> {
    const studyUid = instances[0]!.studyUid;
    const open = await system.query<{ id: string; detail: string }>(
      `SELECT id, detail FROM imaging_reconciliation WHERE tenant = $1 AND study_uid = $2 AND status = 'open'`,
      [system.tenant, studyUid],
    );
    const id = open[0]?.id ?? randomUUID();
    // More files of a study already waiting join it (union by SOP Instance UID).
    const earlier = open[0] ? (JSON.parse(open[0].detail) as { instances: InstanceInfo[] }).instances : [];
    const all = [...earlier.filter((e) => !instances.some((i) => i.sopUid === e.sopUid)), ...instances];
    const summary = JSON.stringify({ detail, instances: all });
    if (open[0]) {
      await system.query(`UPDATE imaging_reconciliation SET detail = $3, instances = $4 WHERE tenant = $1 AND id = $2`, [
        system.tenant,
        id,
        summary,
        all.length,
      ]);
    } else {
      await system.query(
        `INSERT INTO imaging_reconciliation (tenant, id, study_uid, reason, detail, demographics, modality, instances, service_request, requester_org, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          system.tenant,
          id,
          studyUid,
          reason,
          summary,
          JSON.stringify(maskedDemographics(demographics)),
          instances[0]!.modality,
          instances.length,
          sr ? `ServiceRequest/${sr.id}` : null,
          (sr && requesterOrgOf(sr)) ?? (actor.organizationId ? `Organization/${actor.organizationId}` : null),
          actorRef(actor),
          this.now().toISOString(),
        ],
      );
    }
    return { outcome: 'reconciliation', studyUid, instances, reconciliation: id, reason: detail };
  }
}
