/**
 * The specimen's way through the centre, mapped onto the shared reading state machine (docs/pathology.md):
 *
 *   receive    标本接收  (state requested, the centre)   Specimen.receivedTime, status available; the case's images_at
 *   reject     标本拒收  'qc-reject' with a standard reason code from the catalogue; Specimen status unsatisfactory
 *   resubmit   重新送检  'resubmit' by the requester with new specimen details
 *   grossing   取材      (state claimed, the claimant)    blocks as Specimens whose parent is the specimen
 *   slides     制片      (state claimed, the claimant)    slides as Specimens whose parent is the block
 *
 * Grossing and slides are case data, not states: the report (shared route) checks them (profile.ts).
 */
import type { ServiceRequest, Specimen } from '@medplum/fhirtypes';
import { zonedInstant } from '../../platform/fhir/input.js';
import { badRequest, conflict, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import { stateOf } from '../../platform/workflow/fhir.js';
import { actorRef } from '../reading/access.js';
import { lockCase, updateCase, type ReadingCase } from '../reading/cases.js';
import type { ReadingService } from '../reading/service.js';
import { catalogueOn, type SpecimenType } from './model.js';
import { writeSpecimens } from './request.js';
import { derivedResource, parseSpecimens } from './specimens.js';
import { insertSpecimen, specimensOf, updateSpecimens } from './store.js';

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const objectBody = (body: unknown): Record<string, unknown> => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object (请求格式错误)');
  return body as Record<string, unknown>;
};

async function patch(tx: Repository, id: string, change: (s: Specimen) => Specimen): Promise<void> {
  const current = (await tx.read('Specimen', id)) as Specimen;
  await tx.update('Specimen', id, change(current), { ifMatch: current.meta?.versionId });
}

export class Lab {
  constructor(
    private readonly service: ReadingService,
    private readonly engine: WorkflowEngine,
    private readonly now: () => Date,
  ) {}

  /** The centre's side of a case, in the given states. */
  private async atCentre(repo: Repository, actor: Actor, taskId: string, states: string[]): Promise<ReadingCase> {
    const { c, task, side } = await this.service.visibleCase(repo, actor, taskId);
    if (side !== 'centre' || !actor.roles.includes('county-specialist'))
      throw forbidden("Only the pathology centre's staff handle specimens (只有病理诊断中心可以处理标本)");
    const state = stateOf(task);
    if (!state || !states.includes(state)) {
      const hint = state === 'awaiting-images' ? ' — the requester has not sent the specimen yet (申请方尚未送检)' : '';
      throw conflict(`Not possible while the case is '${state}'${hint} (当前状态不能执行此操作)`);
    }
    return c;
  }

  /** The claimant's lab work (grossing, slides, pictures): the case is claimed by the caller. */
  async inLab(repo: Repository, actor: Actor, taskId: string): Promise<ReadingCase> {
    const c = await this.atCentre(repo, actor, taskId, ['claimed']);
    if (c.claimed_by !== actorRef(actor))
      throw forbidden('Only the pathologist who claimed the case records its lab work (只有领取病例的医生可以记录)');
    return c;
  }

  /** 标本接收: the listed specimens arrived in order (their cold-ischaemia time was computed at the request). */
  async receive(repo: Repository, actor: Actor, taskId: string, body: unknown): Promise<ReadingCase> {
    const b = objectBody(body);
    const c = await this.atCentre(repo, actor, taskId, ['requested']);
    const now = this.now();
    const received = b.received === undefined ? now : new Date(zonedInstant(str(b.received), 'received'));
    if (Number.isNaN(received.getTime()) || received.getTime() > now.getTime() + 5 * 60_000)
      throw badRequest("'received' must be a date and time, not in the future (接收时间格式错误)", 'received');
    if (!Array.isArray(b.specimens) || !b.specimens.length)
      throw badRequest("'specimens' must list the specimens received: [{ id, condition? }] (请选择接收的标本)", 'specimens');
    const rows = await specimensOf(repo, taskId);
    const items = (b.specimens as unknown[]).map((raw, i) => {
      const s = (raw ?? {}) as Record<string, unknown>;
      const row = rows.find((r) => r.kind === 'specimen' && r.specimen_id === str(s.id));
      if (!row || row.status !== 'sent')
        throw badRequest(
          `'specimens[${i}].id' is not a specimen of this case waiting for receipt (不是本病例待接收的标本)`,
          `specimens[${i}].id`,
        );
      if (row.collected_at && received < new Date(row.collected_at))
        throw badRequest(`'received' is before specimen ${row.label} was removed (接收时间早于离体时间)`, 'received');
      const condition = str(s.condition);
      if (condition && condition.length > 200) throw badRequest(`'specimens[${i}].condition' is too long`, `specimens[${i}].condition`);
      return { row, condition };
    });
    const at = received.toISOString();
    await repo.withTransaction(async (tx) => {
      await lockCase(tx, taskId);
      for (const { row, condition } of items)
        await patch(tx, row.specimen_id, (s) => ({
          ...s,
          status: 'available',
          receivedTime: at,
          ...(condition ? { condition: [{ text: condition }] } : {}),
        }));
      await updateSpecimens(
        tx,
        items.map((x) => x.row.specimen_id),
        { status: 'received', received_at: at },
      );
      if (!c.images_at) await updateCase(tx, taskId, { images_at: at });
    });
    return c;
  }

  /** 标本拒收: the shared 'qc-reject' with a standard reason from the catalogue; the requester is told (workflow notice). */
  async reject(repo: Repository, actor: Actor, taskId: string, body: unknown, ifMatch?: string): Promise<ReadingCase> {
    const b = objectBody(body);
    const reasons = catalogueOn(this.now()).rejectionReasons;
    const reason = reasons.find((r) => r.code === str(b.reason));
    if (!reason)
      throw badRequest(
        `'reason' must be a standard rejection reason: ${reasons.map((r) => `${r.code} ${r.display}`).join('; ')} (请选择拒收原因)`,
        'reason',
      );
    const note = str(b.note);
    const c = await this.atCentre(repo, actor, taskId, ['requested', 'claimed']);
    const rows = (await specimensOf(repo, taskId)).filter((r) => r.kind === 'specimen' && r.status !== 'rejected');
    const ids = b.specimens === undefined ? rows.map((r) => r.specimen_id) : b.specimens;
    if (!Array.isArray(ids) || !ids.length || ids.some((id) => !rows.some((r) => r.specimen_id === id)))
      throw badRequest("'specimens' must list specimen ids of this case that are not rejected yet", 'specimens');
    const at = this.now().toISOString();
    await repo.withTransaction(async (tx) => {
      await this.engine.transition(tx, actor, taskId, 'qc-reject', {
        reason: `标本拒收：${reason.display} (${reason.en}) [${reason.code}]${note ? `；${note}` : ''}`,
        ...(note ? { note } : {}),
        ...(ifMatch ? { ifMatch } : {}),
      });
      for (const id of ids as string[])
        await patch(tx, id, (s) => ({
          ...s,
          status: 'unsatisfactory',
          condition: [
            {
              coding: [{ system: 'urn:yiwang:specimen-rejection', code: reason.code, display: reason.display }],
              text: note ?? reason.display,
            },
          ],
        }));
      await updateSpecimens(tx, ids as string[], { status: 'rejected', rejected_at: at, reject_reason: reason.code });
      // Turnaround counts from the receipt of the specimen that is diagnosed.
      await updateCase(tx, c.task_id, { images_at: null });
    });
    return c;
  }

  /** 重新送检: the requester sends new specimens after a rejection. */
  async resubmit(repo: Repository, actor: Actor, taskId: string, body: unknown, ifMatch?: string): Promise<ReadingCase> {
    const b = objectBody(body);
    const now = this.now();
    const { c, side } = await this.service.visibleCase(repo, actor, taskId);
    if (side !== 'requester') throw forbidden('Only the requesting institution sends a new specimen (只有申请机构可以重新送检)');
    const catalogue = catalogueOn(now);
    const item = catalogue.items.find((i) => i.code === c.item_code);
    if (!item) throw conflict(`The item ${c.item_code} is no longer in the catalogue (项目已停用)`);
    const inputs = parseSpecimens(b.specimens, item, catalogue, now);
    const taken = new Set((await specimensOf(repo, taskId)).map((r) => r.label));
    inputs.forEach((s, i) => {
      if (taken.has(s.label))
        throw badRequest(`'specimens[${i}].label' '${s.label}' is already used in this case (容器标签重复)`, `specimens[${i}].label`);
    });
    await repo.withTransaction(async (tx) => {
      await this.engine.transition(tx, actor, taskId, 'resubmit', {
        note: str(b.note) ?? '重新送检标本 (new specimen sent)',
        ...(ifMatch ? { ifMatch } : {}),
      });
      const written = await writeSpecimens(tx, c, inputs, now.toISOString());
      const sr = (await tx.read('ServiceRequest', c.service_request.split('/')[1]!)) as ServiceRequest;
      await tx.update(
        'ServiceRequest',
        sr.id as string,
        { ...sr, specimen: [...(sr.specimen ?? []), ...written.map((s) => ({ reference: `Specimen/${s.id}` }))] },
        { ifMatch: sr.meta?.versionId },
      );
    });
    return c;
  }

  /** 取材: the gross description of a received specimen and the blocks taken from it. */
  async grossing(repo: Repository, actor: Actor, taskId: string, body: unknown): Promise<ReadingCase> {
    const b = objectBody(body);
    const c = await this.inLab(repo, actor, taskId);
    const rows = await specimensOf(repo, taskId);
    const received = rows.filter((r) => r.kind === 'specimen' && r.status === 'received');
    const specimen = str(b.specimen)
      ? received.find((r) => r.specimen_id === str(b.specimen))
      : received.length === 1
        ? received[0]
        : undefined;
    if (!specimen) throw badRequest("'specimen' must be the id of a received specimen of this case (请选择已接收的标本)", 'specimen');
    const description = str(b.description);
    if (!description || description.length > 5000) throw badRequest("'description' (大体描述/取材记录) is required", 'description');
    if (!Array.isArray(b.blocks) || !b.blocks.length || b.blocks.length > 60)
      throw badRequest("'blocks' must list 1–60 blocks: [{ label, site? }] (请填写组织块)", 'blocks');
    const labels = new Set(rows.map((r) => r.label));
    const blocks = (b.blocks as unknown[]).map((raw, i) => {
      const x = (raw ?? {}) as Record<string, unknown>;
      const label = str(x.label);
      if (!label || label.length > 40 || labels.has(label))
        throw badRequest(`'blocks[${i}].label' is required and must be new in this case (组织块编号缺失或重复)`, `blocks[${i}].label`);
      labels.add(label);
      return { label, site: str(x.site) };
    });
    const type = catalogueOn(this.now()).specimenTypes.find((t) => t.code === 'block')!;
    const at = this.now().toISOString();
    await repo.withTransaction(async (tx) => {
      await lockCase(tx, taskId);
      for (const block of blocks)
        await writeDerived(tx, c, 'block', type, specimen.specimen_id, {
          label: block.label,
          ...(block.site ? { site: block.site } : {}),
          step: '取材包埋 (grossing and embedding)',
          at,
        });
      await patch(tx, specimen.specimen_id, (s) => ({
        ...s,
        processing: [...(s.processing ?? []), { description: `取材 (grossing): ${description}`, timeDateTime: at }],
        note: [...(s.note ?? []), { text: `大体描述 (gross description): ${description}`, time: at }],
      }));
      await updateSpecimens(tx, [specimen.specimen_id], { grossed_at: at });
    });
    return c;
  }

  /** 制片: a slide cut from a block and stained (HE, special stains, IHC with its marker). */
  async slide(repo: Repository, actor: Actor, taskId: string, body: unknown): Promise<ReadingCase> {
    const b = objectBody(body);
    const c = await this.inLab(repo, actor, taskId);
    const rows = await specimensOf(repo, taskId);
    const block = rows.find((r) => r.kind === 'block' && r.specimen_id === str(b.block));
    if (!block) throw badRequest("'block' must be the id of a block of this case (请选择组织块)", 'block');
    const catalogue = catalogueOn(this.now());
    const stain = catalogue.stains.find((s) => s.code === str(b.stain));
    if (!stain) throw badRequest(`'stain' must be one of ${catalogue.stains.map((s) => s.code).join(', ')} (请选择染色方法)`, 'stain');
    const marker = str(b.marker);
    if (stain.marker && (!marker || marker.length > 40))
      throw badRequest("'marker' (免疫组化抗体, e.g. Ki-67) is required for IHC", 'marker');
    const label = str(b.label);
    if (!label || label.length > 40 || rows.some((r) => r.label === label))
      throw badRequest("'label' (切片编号) is required and must be new in this case", 'label');
    const type = catalogue.specimenTypes.find((t) => t.code === 'slide')!;
    const at = this.now().toISOString();
    await repo.withTransaction(async (tx) => {
      await lockCase(tx, taskId);
      await writeDerived(tx, c, 'slide', type, block.specimen_id, {
        label,
        step: `${stain.display}${marker ? ` ${marker}` : ''} (${stain.en})`,
        code: stain.code,
        at,
      });
    });
    return c;
  }
}

/** A block (parent the specimen) or a slide (parent the block): its Specimen and its index row, received in the lab the
 * moment it is made. */
async function writeDerived(
  tx: Repository,
  c: ReadingCase,
  kind: 'block' | 'slide',
  type: SpecimenType,
  parent: string,
  made: { label: string; site?: string; step: string; code?: string; at: string },
): Promise<void> {
  const written = (
    await tx.create(derivedResource(type, { patient: c.patient, request: c.service_request, parent: `Specimen/${parent}`, ...made }))
  ).resource as Specimen;
  await insertSpecimen(tx, {
    specimen_id: written.id as string,
    task_id: c.task_id,
    kind,
    parent,
    label: made.label,
    type_code: kind,
    item_code: c.item_code,
    requester_org: c.requester_org,
    owner_org: c.owner_org,
    collected_at: null,
    fixed_at: null,
    cold_minutes: null,
    over_limit: false,
    status: 'made',
    received_at: made.at,
    rejected_at: null,
    reject_reason: null,
    grossed_at: null,
    created_at: made.at,
  });
}
