/**
 * The pathology centre as a reading centre (modules/reading/profile.ts): report category SP, its dated templates and
 * coded conclusions; a report needs every received specimen grossed and at least one slide, and carries the specimens
 * and the pictures the pathologist chose (DiagnosticReport.specimen and .media), which its PDF prints.
 */
import type { DiagnosticReport, Media, Specimen } from '@medplum/fhirtypes';
import { conflict } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ReadingCase } from '../reading/cases.js';
import { findResources } from '../reading/fhir.js';
import type { CentreProfile } from '../reading/profile.js';
import { catalogueOn, CENTRE, SYSTEMS } from './model.js';
import { picturesOf, specimensOf, type PictureRow, type SpecimenRow } from './store.js';

const KIND_ZH = { gross: '大体', micro: '镜下' } as const;

/** Why a report cannot be written yet, or undefined: grossing and slides are the lab's work before the diagnosis. */
function reportBlocker(rows: SpecimenRow[]): string | undefined {
  const received = rows.filter((r) => r.kind === 'specimen' && r.status === 'received');
  if (!received.length) return 'No specimen has been received (尚无已接收的标本)';
  const ungrossed = received.filter((r) => !r.grossed_at);
  if (ungrossed.length)
    return `Grossing is not recorded for specimen ${ungrossed.map((r) => r.label).join(', ')} (标本${ungrossed.map((r) => r.label).join('、')}尚未取材)`;
  if (!rows.some((r) => r.kind === 'slide')) return 'No slide has been made yet (尚未制片)';
  return undefined;
}

const selected = async (tx: Repository, c: ReadingCase): Promise<PictureRow[]> =>
  (await picturesOf(tx, c.task_id)).filter((p) => p.in_report);

export const pathologyProfile: CentreProfile = {
  centre: CENTRE,
  name: { zh: '病理', en: 'Pathology' },
  category: { system: SYSTEMS.v2Section, code: 'SP', display: 'Surgical Pathology' },
  catalogue: catalogueOn,
  async completeReport(tx, c, report): Promise<DiagnosticReport> {
    const rows = await specimensOf(tx, c.task_id);
    const blocker = reportBlocker(rows);
    if (blocker) throw conflict(`${blocker}; the report waits for the lab's work`);
    const pictures = await selected(tx, c);
    return {
      ...report,
      specimen: rows
        .filter((r) => r.kind === 'specimen' && r.status === 'received')
        .map((r) => ({ reference: `Specimen/${r.specimen_id}` })),
      ...(pictures.length
        ? { media: pictures.map((p) => ({ comment: `${KIND_ZH[p.kind]}：${p.title}`, link: { reference: `Media/${p.media_id}` } })) }
        : {}),
    };
  },
  async printedPictures(tx, c) {
    const out: { title: string; data: Buffer }[] = [];
    for (const p of await selected(tx, c)) {
      const media = (await tx.read('Media', p.media_id)) as Media;
      if (media.content.data) out.push({ title: `${KIND_ZH[p.kind]}：${p.title}`, data: Buffer.from(media.content.data, 'base64') });
    }
    return out;
  },
  async caseDetail(repo, c) {
    const rows = await specimensOf(repo, c.task_id);
    // The resources through the caller's repository (their access policy applies), in one search; the rows add the
    // index's facts.
    const resources = rows.length
      ? await findResources<Specimen>(repo, 'Specimen', `_id=${rows.map((r) => r.specimen_id).join(',')}`, rows.length)
      : [];
    const byId = new Map(resources.map((s) => [s.id as string, s]));
    const pictures = await picturesOf(repo, c.task_id);
    return {
      specimens: rows
        .filter((r) => byId.has(r.specimen_id))
        .map((r) => ({
          id: r.specimen_id,
          kind: r.kind,
          parent: r.parent,
          label: r.label,
          type: r.type_code,
          status: r.status,
          coldIschaemiaMinutes: r.cold_minutes === null ? null : Number(r.cold_minutes),
          overLimit: r.over_limit,
          rejectReason: r.reject_reason,
          grossedAt: r.grossed_at ? new Date(r.grossed_at).toISOString() : null,
          resource: byId.get(r.specimen_id),
        })),
      pictures: pictures.map((p) => ({
        id: p.media_id,
        kind: p.kind,
        title: p.title,
        specimen: p.specimen_id,
        contentType: p.content_type,
        size: p.size,
        inReport: p.in_report,
        url: `/api/pathology/cases/${c.task_id}/pictures/${p.media_id}`,
      })),
      reportBlocker: reportBlocker(rows) ?? null,
    };
  },
};
