/**
 * Acknowledgement with read-back (回读确认): the notified doctor — or someone the alert was escalated to — repeats
 * the value; it must match (read-back.ts), else 422 and nothing is written. On success, in one transaction: the
 * workflow engine moves the Task to 'acknowledged' (completed, with the engine's Provenance of the step) and this
 * module's transition hook checks the read-back again, stamps the output (read-back, who, when, late or not, action
 * taken), makes the Flag inactive, records a Provenance with the read-back and cancels the pending escalations.
 *
 * The hook runs for every 'acknowledge' of the workflow, so the engine's generic route (POST /api/tasks/:id/transition)
 * cannot acknowledge a critical value without a matching read-back either.
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
import { actorOf, type Actor } from '../../platform/workflow/actor.js';
import type { TransitionHook } from '../../platform/workflow/engine.js';
import type { Repository } from '../../platform/fhir/repository.js';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../../platform/fhir/outcomes.js';
import type { FindingItem, MeasurementItem } from './catalogue.js';
import type { CriticalValueDeps } from './deps.js';
import type { CriticalFinding } from './evaluate.js';
import { findResources, refParts } from './fhir.js';
import { ACK_EXTENSION_URL, CRITICAL_VALUE_SYSTEM, extension, input, INPUT_SYSTEM, isAlertTask, slot } from './model.js';
import { workflowVersion } from './policy.js';
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
  if (!isAlertTask(task)) throw notFound(`Task/${taskId} is not a critical value alert`);
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

/** The recipient references that name an actor (as the inbox does: recipientsOf). */
function actorRecipients(actor: Actor): string[] {
  return [
    `user:${actor.userId}`,
    ...(actor.practitionerId ? [`Practitioner/${actor.practitionerId}`] : []),
    ...(actor.organizationId && !actor.roles.includes('resident') ? [`Organization/${actor.organizationId}`] : []),
  ];
}

/** Refuses (403) an actor who was neither notified of the alert nor escalated to. */
async function checkAcknowledger(deps: CriticalValueDeps, repo: Repository, task: Task, actor: Actor): Promise<void> {
  const workflow = workflowVersion(deps.definitions, slot(task.input, 'workflow-version')?.valueString);
  const allowed = await acknowledgers(
    repo,
    task,
    workflow.escalation.map((e) => e.level),
  );
  if (!actorRecipients(actor).some((r) => allowed.includes(r))) {
    throw forbidden('Only the notified doctor or those the alert was escalated to may acknowledge it (仅被通知的医生或上报对象可确认)');
  }
}

/** Refuses (422) a read-back that does not match the alert's value. */
function checkMatch(deps: CriticalValueDeps, task: Task, readBack: string | undefined): string {
  if (!readBack?.trim()) throw badRequest("'readBack' is required: the value and unit as read back (复述的危急值及单位)", 'readBack');
  const check = checkReadBack(findingOf(deps, task), readBack);
  if (!check.ok) throw unprocessable(check.message, 'readBack');
  return readBack.trim();
}

/** The acknowledgement by the module's route: checks first (nothing written on refusal), then the engine's transition. */
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
  const actor = actorOf(principal);
  await checkAcknowledger(deps, sys, task, actor);
  checkMatch(deps, task, body.readBack);
  const output = [
    input('read-back', { valueString: body.readBack }),
    ...(body.action ? [input('action', { valueString: body.action })] : []),
  ] as TaskOutput[];
  // The engine locks the task, checks its state (409 when acknowledged meanwhile), writes it with its Provenance and
  // runs the hook below, all in one transaction. No If-Match: an escalation written meanwhile must not refuse this.
  const step = await deps.engine.transition(repo, actor, taskId, 'acknowledge', {
    output,
    note: `回读 Read-back: ${body.readBack}${body.action ? `；处置 Action: ${body.action}` : ''}`,
  });
  return (await repo.read('Task', step.task.id!)) as Task;
}

const STAMPED = new Set(['read-back', 'action', 'acknowledged-at', 'acknowledged-by', 'late', 'due']);

/**
 * Runs inside the engine's 'acknowledge' transition (its transaction, the caller's repository): the checks again,
 * then the Task's output stamped by the server, the Flag, the read-back Provenance and the escalations.
 */
export function acknowledgementHook(deps: CriticalValueDeps): TransitionHook {
  return async ({ repo: tx, actor, task, action }) => {
    if (action !== 'acknowledge') return;
    await checkAcknowledger(deps, tx, task, actor);
    // The last read-back and action given (the engine appends the caller's output to what the Task had).
    const given = [...(task.output ?? [])].reverse();
    const readBack = checkMatch(deps, task, slot(given, 'read-back')?.valueString);
    const actionTaken = slot(given, 'action')?.valueString?.trim();
    const now = deps.clock.now().toISOString();
    // The transition dropped the due time of the state it left: it is on the version before.
    const before = (await tx.vread('Task', task.id!, String(Number(task.meta?.versionId) - 1))) as Task;
    const due = before.restriction?.period?.end;
    const late = !!due && Date.parse(now) > Date.parse(due);
    const by: Reference<Practitioner> = actor.practitionerId
      ? { reference: `Practitioner/${actor.practitionerId}`, ...(actor.display ? { display: actor.display } : {}) }
      : { display: actor.display ?? actor.userId };
    const onBehalfOf: Reference<Organization> | undefined = actor.organizationId
      ? { reference: `Organization/${actor.organizationId}` }
      : undefined;
    const output: TaskOutput[] = [
      ...(task.output ?? []).filter((o) => !o.type.coding?.some((c) => c.system === INPUT_SYSTEM && STAMPED.has(c.code ?? ''))),
      input('read-back', { valueString: readBack }),
      input('acknowledged-at', { valueDateTime: now }),
      input('acknowledged-by', { valueReference: by }),
      input('late', { valueBoolean: late }),
      ...(due ? [input('due', { valueDateTime: due })] : []),
      ...(actionTaken ? [input('action', { valueString: actionTaken })] : []),
    ] as TaskOutput[];
    const written = (await tx.update('Task', task.id!, { ...task, output }, { ifMatch: task.meta?.versionId })).resource as Task;
    const flagRef = slot(task.input, 'flag')?.valueReference?.reference;
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
        { reference: `Task/${task.id}/_history/${written.meta?.versionId}` },
        ...(flagRef ? [{ reference: flagRef }] : []),
        ...(task.focus ? [task.focus] : []),
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
            extension('readBack', { valueString: readBack }),
            extension('late', { valueBoolean: late }),
            ...(due ? [extension('due', { valueDateTime: due })] : []),
            ...(actionTaken ? [extension('action', { valueString: actionTaken })] : []),
          ],
        },
      ],
    };
    await tx.create(provenance);
    await deps.timer.stop(tx.tenant, task.id!, tx.db);
  };
}
