/**
 * The pathology request (病理检查申请单) with its specimens: a ServiceRequest addressed to the county pathology centre, one
 * Specimen per container, and the reading task (state awaiting-images: 待送检), all in one transaction.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceRequest, Specimen } from '@medplum/fhirtypes';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import type { ReadingCase } from '../reading/cases.js';
import { commonServiceRequest, parseCommonRequest, requestParties, startCase, type CommonRequestInput } from '../reading/request.js';
import { catalogueOn, CENTRE, SYSTEMS, type PathologyItem } from './model.js';
import { pathologyProfile } from './profile.js';
import { parseSpecimens, specimenResource, type SpecimenInput } from './specimens.js';
import { insertSpecimen } from './store.js';

export interface PathologyRequestInput extends CommonRequestInput {
  item: PathologyItem;
  /** The operation or biopsy site (手术/活检部位). */
  site: string;
  specimens: SpecimenInput[];
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function parseRequest(body: unknown, now: Date): PathologyRequestInput {
  const { body: b, ...common } = parseCommonRequest(body);
  const catalogue = catalogueOn(now);
  const item = catalogue.items.find((i) => i.code === str(b.item));
  if (!item) throw badRequest(`'item' must be one of ${catalogue.items.map((i) => i.code).join(', ')} (请选择病理检查项目)`, 'item');
  const site = str(b.site);
  if (!site || site.length > 200) throw badRequest("'site' (手术/活检部位) is required", 'site');
  return { ...common, item, site, specimens: parseSpecimens(b.specimens, item, catalogue, now) };
}

/** The specimens' resources and index rows for a case (at the request, or a resubmission after a rejection). */
export async function writeSpecimens(tx: Repository, c: ReadingCase, inputs: SpecimenInput[], at: string): Promise<Specimen[]> {
  const written: Specimen[] = [];
  for (const s of inputs) {
    const specimen = (await tx.create(specimenResource(s, { patient: c.patient, request: c.service_request }))).resource as Specimen;
    written.push(specimen);
    await insertSpecimen(tx, {
      specimen_id: specimen.id as string,
      task_id: c.task_id,
      kind: 'specimen',
      parent: null,
      label: s.label,
      type_code: s.type.code,
      item_code: c.item_code,
      requester_org: c.requester_org,
      owner_org: c.owner_org,
      collected_at: s.collected,
      fixed_at: s.fixed ?? null,
      cold_minutes: s.coldMinutes ?? null,
      over_limit: s.overLimit,
      status: 'sent',
      received_at: null,
      rejected_at: null,
      reject_reason: null,
      grossed_at: null,
      created_at: at,
    });
  }
  return written;
}

export async function createRequest(
  engine: WorkflowEngine,
  repo: Repository,
  system: Repository,
  actor: Actor,
  input: PathologyRequestInput,
  now: Date,
): Promise<{ serviceRequest: ServiceRequest; task: string; specimens: Specimen[] }> {
  const parties = await requestParties(repo, system, actor, pathologyProfile, input, now);
  const accession = `P${parties.at.slice(0, 10).replace(/-/g, '')}${randomBytes(3).toString('hex').toUpperCase()}`;
  const sr: ServiceRequest = {
    ...commonServiceRequest(input, parties),
    identifier: [{ system: 'urn:yiwang:accession', value: accession }],
    category: [{ coding: [{ system: SYSTEMS.snomed, code: '108257001', display: 'Anatomic pathology procedure' }], text: '病理检查' }],
    code: { coding: [{ system: SYSTEMS.item, code: input.item.code, display: input.item.name }], text: input.item.name },
    bodySite: [{ text: input.site }],
  };
  return repo.withTransaction(async (tx) => {
    const written = (await tx.create(sr)).resource as ServiceRequest;
    const c = await startCase(engine, tx, actor, written, now, {
      centre: CENTRE,
      itemCode: input.item.code,
      modality: input.item.modality,
      description: `${input.item.name}（${input.site}）：${input.reason}`,
    });
    const specimens = await writeSpecimens(tx, c, input.specimens, parties.at);
    // The request lists what it sends (ServiceRequest.specimen), once the Specimens have their ids.
    const linked = (
      await tx.update(
        'ServiceRequest',
        written.id as string,
        { ...written, specimen: specimens.map((s) => ({ reference: `Specimen/${s.id}` })) },
        { ifMatch: written.meta?.versionId },
      )
    ).resource as ServiceRequest;
    return { serviceRequest: linked, task: c.task_id, specimens };
  });
}
