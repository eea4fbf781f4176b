/**
 * Acknowledgement with read-back (回读确认): the notified doctor — or someone the alert was escalated to — repeats
 * the value; it must match (read-back.ts), else 422 and nothing is written. On success, in one transaction: the Task
 * is completed (output: read-back, who, when, late or not, action taken), the Flag becomes inactive, a Provenance
 * records the acknowledgement, and the pending escalations are cancelled.
 */
import type {
  Communication,
  Flag,
  Organization,
  Practitioner,
  Provenance,
  Quantity,
  Reference,
  Task,
  TaskOutput,
} from '@medplum/fhirtypes';
import type { Principal } from '../../platform/auth/service.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../../platform/fhir/outcomes.js';
import { recipientsOf } from '../../platform/notify/routes.js';
import type { FindingItem, MeasurementItem } from './catalogue.js';
import type { CriticalValueDeps } from './deps.js';
import type { CriticalFinding } from './evaluate.js';
import { findResources, refParts } from './fhir.js';
import { ACK_EXTENSION_URL, businessStatus, CRITICAL_VALUE_SYSTEM, extension, input, slot } from './model.js';
import { checkReadBack } from './read-back.js';

export interface AcknowledgeBody {
  readBack: string;
  action?: string;
}

/** Checks the request body: 400 (with where) when it is not what the route takes. */
export function parseAcknowledgeBody(body: unknown): AcknowledgeBody {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Send a JSON object { readBack, action? }');
  if (typeof b.readBack !== 'string' || !b.readBack.trim()) {
    throw badRequest("'readBack' is required: the value and unit as read back (复述的危急值及单位)", 'readBack');
  }
  if (b.readBack.length > 500) throw badRequest("'readBack' is longer than 500 characters", 'readBack');
  if (b.action !== undefined && (typeof b.action !== 'string' || b.action.length > 2000)) {
    throw badRequest("'action' must be text of at most 2000 characters (处置措施)", 'action');
  }
  const unknown = Object.keys(b).filter((k) => k !== 'readBack' && k !== 'action');
  if (unknown.length) throw badRequest(`Unknown field(s): ${unknown.join(', ')}`, unknown[0]);
  return { readBack: b.readBack.trim(), ...(typeof b.action === 'string' && b.action.trim() ? { action: b.action.trim() } : {}) };
}

/** Reads an alert's Task through `repo`; 404 when it is not visible or not a critical-value alert. */
export async function readAlertTask(repo: Repository, taskId: string): Promise<Task> {
  let task: Task;
  try {
    task = (await repo.read('Task', taskId)) as Task;
  } catch {
    throw notFound(`Critical value alert ${taskId} not found (未找到该危急值)`);
  }
  if (!task.identifier?.some((i) => i.system === CRITICAL_VALUE_SYSTEM)) throw notFound(`Task/${taskId} is not a critical value alert`);
  return task;
}

/** Those who may acknowledge: the owner and everyone an escalation was addressed to. */
export async function acknowledgers(repo: Repository, task: Task, levels: number[]): Promise<string[]> {
  const who = new Set<string>();
  if (task.owner?.reference) who.add(task.owner.reference);
  if (levels.length) {
    const ids = levels.map((l) => `${CRITICAL_VALUE_SYSTEM}|${task.id}/escalation-${l}`).join(',');
    const comms = await findResources<Communication>(repo, 'Communication', `identifier=${ids}`, 20);
    for (const c of comms) for (const r of c.recipient ?? []) if (r.reference) who.add(r.reference);
  }
  return [...who];
}

/** The finding an alert was raised for, rebuilt from its Task and the catalogue version it used. */
function findingOf(deps: CriticalValueDeps, task: Task): CriticalFinding {
  const itemId = slot(task.input, 'item')?.valueCoding?.code;
  const version = slot(task.input, 'catalogue-version')?.valueString;
  const catalogue = deps.catalogue.find((c) => c.version === version) ?? deps.catalogue[deps.catalogue.length - 1];
  const value = slot(task.input, 'value')?.valueQuantity as Quantity | undefined;
  const measurement = catalogue?.measurements.find((m) => m.id === itemId);
  const finding = catalogue?.findings.find((f) => f.id === itemId);
  const item: MeasurementItem | FindingItem = measurement ??
    finding ?? { id: itemId ?? 'unknown', name: slot(task.input, 'item')?.valueCoding?.display ?? '', nameEn: '', category: '', codes: [] };
  return {
    kind: value && measurement ? 'measurement' : 'finding',
    item,
    path: '',
    value,
    limitText: slot(task.input, 'limit')?.valueString ?? '',
    valueText: slot(task.input, 'value-text')?.valueString ?? '',
  };
}

export async function acknowledge(
  deps: CriticalValueDeps,
  repo: Repository,
  /** Full-access repository of the tenant: who was told is read in full once the caller may see the Task. */
  sys: Repository,
  principal: Principal,
  taskId: string,
  body: AcknowledgeBody,
): Promise<Task> {
  const task = await readAlertTask(repo, taskId);
  if (task.status === 'completed') {
    const at = slot(task.output, 'acknowledged-at')?.valueDateTime;
    const by =
      slot(task.output, 'acknowledged-by')?.valueReference?.display ?? slot(task.output, 'acknowledged-by')?.valueReference?.reference;
    throw conflict(`This critical value was already acknowledged${by ? ` by ${by}` : ''}${at ? ` at ${at}` : ''} (已确认)`);
  }
  if (task.status !== 'requested') throw conflict(`This critical value alert is ${task.status} and cannot be acknowledged`);
  const version = slot(task.input, 'workflow-version')?.valueString;
  const workflow = deps.workflows.find((w) => w.version === version) ?? deps.workflows[deps.workflows.length - 1]!;
  const allowed = await acknowledgers(
    sys,
    task,
    workflow.escalation.map((e) => e.level),
  );
  const mine = recipientsOf(principal);
  if (!mine.some((r) => allowed.includes(r))) {
    throw forbidden('Only the notified doctor or those the alert was escalated to may acknowledge it (仅被通知的医生或上报对象可确认)');
  }
  const check = checkReadBack(findingOf(deps, task), body.readBack);
  if (!check.ok) throw unprocessable(check.message, 'readBack');

  const now = deps.clock.now().toISOString();
  const due = task.restriction?.period?.end;
  const late = !!due && Date.parse(now) > Date.parse(due);
  const by: Reference<Practitioner> = principal.practitionerId
    ? { reference: `Practitioner/${principal.practitionerId}`, ...(principal.username ? { display: principal.username } : {}) }
    : { display: principal.username ?? principal.subject };
  const onBehalfOf: Reference<Organization> | undefined = principal.organizationId
    ? { reference: `Organization/${principal.organizationId}` }
    : undefined;
  return repo.withTransaction(async (tx) => {
    const current = (await tx.read('Task', taskId)) as Task;
    if (current.status !== 'requested') throw conflict('This critical value was acknowledged meanwhile (已被确认)');
    const output: TaskOutput[] = [
      input('read-back', { valueString: body.readBack }),
      input('acknowledged-at', { valueDateTime: now }),
      input('acknowledged-by', { valueReference: by }),
      input('late', { valueBoolean: late }),
      ...(body.action ? [input('action', { valueString: body.action })] : []),
    ] as TaskOutput[];
    const written = (
      await tx.update(
        'Task',
        taskId,
        {
          ...current,
          status: 'completed',
          businessStatus: businessStatus('acknowledged', late ? '已确认（超时）Acknowledged late' : '已确认 Acknowledged'),
          lastModified: now,
          executionPeriod: { start: current.authoredOn, end: now },
          output,
        },
        { ifMatch: current.meta?.versionId },
      )
    ).resource as Task;
    const flagRef = slot(current.input, 'flag')?.valueReference?.reference;
    const flagId = refParts(flagRef)?.id;
    if (flagId) {
      const flag = (await tx.read('Flag', flagId)) as Flag;
      if (flag.status === 'active') {
        await tx.update(
          'Flag',
          flagId,
          { ...flag, status: 'inactive', period: { ...flag.period, end: now } },
          { ifMatch: flag.meta?.versionId },
        );
      }
    }
    const provenance: Provenance = {
      resourceType: 'Provenance',
      target: [
        { reference: `Task/${taskId}/_history/${written.meta?.versionId}` },
        ...(flagRef ? [{ reference: flagRef }] : []),
        current.focus!,
      ],
      recorded: now,
      activity: {
        coding: [
          {
            system: 'urn:yiwang:provenance-activity',
            code: 'critical-value-acknowledgement',
            display: '危急值回读确认 Critical value acknowledgement',
          },
        ],
      },
      agent: [
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }] },
          who: by,
          ...(onBehalfOf ? { onBehalfOf } : {}),
        },
      ],
      extension: [
        {
          url: ACK_EXTENSION_URL,
          extension: [
            extension('readBack', { valueString: body.readBack }),
            extension('late', { valueBoolean: late }),
            ...(due ? [extension('due', { valueDateTime: due })] : []),
            ...(body.action ? [extension('action', { valueString: body.action })] : []),
          ],
        },
      ],
    };
    await tx.create(provenance);
    await deps.timer.stop(tx.tenant, taskId, tx.db);
    return written;
  });
}
