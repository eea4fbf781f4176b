/**
 * Pictures of a case (大体照片 gross photographs, 镜下照片 photomicrographs) as FHIR Media with the image inline. The
 * content type is what the bytes are (PNG or JPEG signature), never what the client claims; anything else is refused
 * before anything is written. Whole-slide images would go to the archive through /dicomweb instead (docs/pathology.md).
 */
import type { Media } from '@medplum/fhirtypes';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { lockCase, type ReadingCase } from '../reading/cases.js';
import type { Lab } from './lab.js';
import { EXT, SYSTEMS } from './model.js';
import { insertPicture, picturesOf, setPictureInReport, specimensOf } from './store.js';

export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;
const KINDS = { gross: '大体照片 (gross photograph)', micro: '镜下照片 (photomicrograph)' } as const;

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** PNG or JPEG by their signatures, or undefined. */
function sniffImage(bytes: Buffer): 'image/png' | 'image/jpeg' | undefined {
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}

export class Pictures {
  constructor(
    private readonly lab: Lab,
    private readonly now: () => Date,
  ) {}

  /** { data: base64, kind: gross|micro, title?, specimen?, inReport? (default true) }: the Media and its row; the case. */
  async upload(repo: Repository, actor: Actor, taskId: string, body: unknown): Promise<ReadingCase> {
    const b = (body ?? {}) as Record<string, unknown>;
    const data = typeof b.data === 'string' ? b.data.replace(/^data:[^,]*,/, '').replace(/\s/g, '') : '';
    if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw badRequest("'data' must be the picture as base64 (请选择图片)", 'data');
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > MAX_PICTURE_BYTES)
      throw badRequest(
        `'data' is ${Math.round(bytes.length / 1024)} KB; a picture may be up to ${MAX_PICTURE_BYTES / 1024 / 1024} MB (图片过大)`,
        'data',
      );
    const contentType = sniffImage(bytes);
    if (!contentType) throw badRequest("'data' is not a PNG or JPEG picture (只接受PNG或JPEG图片)", 'data');
    const kind = str(b.kind) ?? 'micro';
    if (kind !== 'gross' && kind !== 'micro') throw badRequest("'kind' must be gross (大体) or micro (镜下)", 'kind');
    const title = str(b.title) ?? KINDS[kind];
    if (title.length > 200) throw badRequest("'title' is longer than 200 characters", 'title');
    if (b.inReport !== undefined && typeof b.inReport !== 'boolean') throw badRequest("'inReport' must be true or false", 'inReport');
    const c = await this.lab.inLab(repo, actor, taskId);
    const specimen = str(b.specimen);
    if (specimen && !(await specimensOf(repo, taskId)).some((r) => r.specimen_id === specimen))
      throw badRequest("'specimen' must be a specimen, block or slide of this case", 'specimen');
    const at = this.now().toISOString();
    const media: Media = {
      resourceType: 'Media',
      ...(specimen ? { extension: [{ url: EXT.mediaSpecimen, valueReference: { reference: `Specimen/${specimen}` } }] } : {}),
      status: 'completed',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/media-type', code: 'image', display: 'Image' }] },
      modality: { coding: [{ system: SYSTEMS.picture, code: kind, display: KINDS[kind] }] },
      subject: { reference: c.patient },
      basedOn: [{ reference: c.service_request }],
      createdDateTime: at,
      ...(actor.practitionerId ? { operator: { reference: `Practitioner/${actor.practitionerId}` } } : {}),
      content: { contentType, data, size: bytes.length, title, creation: at },
    };
    await repo.withTransaction(async (tx) => {
      await lockCase(tx, taskId);
      const written = (await tx.create(media)).resource as Media;
      await insertPicture(tx, {
        media_id: written.id as string,
        task_id: taskId,
        specimen_id: specimen ?? null,
        kind,
        title,
        content_type: contentType,
        size: bytes.length,
        in_report: b.inReport !== false,
        created_at: at,
      });
    });
    return c;
  }

  /** Whether a picture goes into the report (the next report version picks the choice up). */
  async choose(repo: Repository, actor: Actor, taskId: string, mediaId: string, body: unknown): Promise<ReadingCase> {
    const inReport = (body as { inReport?: unknown } | undefined)?.inReport;
    if (typeof inReport !== 'boolean') throw badRequest("'inReport' must be true or false", 'inReport');
    const c = await this.lab.inLab(repo, actor, taskId);
    const found = await repo.withTransaction((tx) => setPictureInReport(tx, taskId, mediaId, inReport));
    if (!found) throw badRequest(`Media/${mediaId} is not a picture of this case`, 'media');
    return c;
  }

  /** The picture's bytes, read through the caller's repository (their access policy applies). */
  async bytes(repo: Repository, taskId: string, mediaId: string): Promise<{ contentType: string; data: Buffer } | undefined> {
    if (!(await picturesOf(repo, taskId)).some((p) => p.media_id === mediaId)) return undefined;
    const media = (await repo.read('Media', mediaId)) as Media;
    return media.content.data
      ? { contentType: media.content.contentType ?? 'application/octet-stream', data: Buffer.from(media.content.data, 'base64') }
      : undefined;
  }
}
