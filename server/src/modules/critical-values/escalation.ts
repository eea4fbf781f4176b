/**
 * Escalation (逐级上报): an alert not acknowledged in time goes to the head of department, later to the medical
 * affairs office (levels and times from the workflow data). Each level is a durable job of the platform scheduler,
 * planned in the alert's transaction and cancelled in the acknowledgement's, so a restart neither loses nor doubles
 * one; the job itself checks the Task again and writes one Communication per level (identifier per level), so a job
 * run twice escalates once.
 */
import type { Communication, Task } from '@medplum/fhirtypes';
import { durationMs } from '../../platform/clock.js';
import type { Queryable } from '../../platform/db/database.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Scheduler } from '../../platform/scheduler/scheduler.js';
import type { CriticalValueDeps, EscalationTimer } from './deps.js';
import { setEscalationLevel } from '../../platform/workflow/store.js';
import { ESCALATION_EXTENSION, withExtension } from '../../platform/workflow/fhir.js';
import { findResources, readRef } from './fhir.js';
import { alertLink, CRITICAL_VALUE_SYSTEM, ESCALATION_CATEGORY, input, INPUT_SYSTEM, NOTIFICATION_CATEGORY, slot } from './model.js';
import { workflowVersion, type CriticalValueWorkflow } from './policy.js';
import { escalationTarget } from './recipients.js';

export const ESCALATION_JOB = 'critical-value.escalate';
const jobKey = (taskId: string, level?: number) => `critical-value:${taskId}:${level === undefined ? '' : `escalate-${level}`}`;

/** The escalation timer on the platform scheduler. */
export function schedulerTimer(scheduler: Scheduler): EscalationTimer {
  return {
    async plan(tenant: string, taskId: string, notifiedAt: Date, workflow: CriticalValueWorkflow, q: Queryable) {
      for (const step of workflow.escalation) {
        await scheduler.schedule(
          {
            tenant,
            key: jobKey(taskId, step.level),
            kind: ESCALATION_JOB,
            runAt: new Date(notifiedAt.getTime() + durationMs(step.after)),
            payload: { taskId, level: step.level, workflow: workflow.version },
          },
          q,
        );
      }
    },
    async stop(tenant: string, taskId: string, q: Queryable) {
      await scheduler.cancel(tenant, jobKey(taskId), q);
    },
  };
}

export interface EscalationOutcome {
  escalated: boolean;
  recipients: string[];
}

/**
 * Runs escalation `level` of an alert (the scheduler's job). Nothing happens once the alert is acknowledged or withdrawn
 * (a corrected result no longer critical): the Task is then no longer 'requested'.
 */
export async function escalate(deps: CriticalValueDeps, repo: Repository, taskId: string, level: number): Promise<EscalationOutcome> {
  const first = await readRef<Task>(repo, `Task/${taskId}`, ['Task']);
  if (!first || first.status !== 'requested') return { escalated: false, recipients: [] };
  const version = slot(first.input, 'workflow-version')?.valueString;
  const workflow = workflowVersion(deps.definitions, version);
  const step = workflow.escalation.find((s) => s.level === level);
  if (!step) return { escalated: false, recipients: [] };
  const institution = slot(first.input, 'responsible-organization')?.valueReference?.reference;
  const target = await escalationTarget(repo, institution, step.practitionerRoleCode);
  const identifier = `${taskId}/escalation-${level}`;
  const now = deps.clock.now().toISOString();
  const result = await repo.withTransaction(async (tx) => {
    const task = (await tx.read('Task', taskId)) as Task;
    if (task.status !== 'requested') return undefined;
    const [done] = await findResources<Communication>(tx, 'Communication', `identifier=${CRITICAL_VALUE_SYSTEM}|${identifier}`, 1);
    if (done) return { task, communication: done };
    const overdueMinutes = Math.round((Date.parse(now) - Date.parse(task.authoredOn ?? now)) / 60_000);
    const text = `危急值超时未确认（${overdueMinutes}分钟），已上报${step.display}。${task.description ?? ''}`;
    const communication: Communication = {
      resourceType: 'Communication',
      identifier: [{ system: CRITICAL_VALUE_SYSTEM, value: identifier }],
      ...(task.basedOn ? { basedOn: task.basedOn } : {}),
      status: target.recipients.length ? 'completed' : 'not-done',
      ...(target.recipients.length ? {} : { statusReason: { text: '未找到上报对象 No escalation recipient found' } }),
      category: [{ coding: [ESCALATION_CATEGORY] }],
      priority: 'stat',
      subject: task.for as Communication['subject'],
      about: [task.focus!, { reference: `Task/${taskId}` }],
      sent: now,
      ...(target.recipients.length
        ? { recipient: target.recipients.map((r) => ({ reference: r.reference, ...(r.display ? { display: r.display } : {}) })) }
        : {}),
      payload: [{ contentString: text }],
      extension: [
        { url: 'https://yiwang.cn/fhir/StructureDefinition/critical-value-escalation-level', valueInteger: level },
        ...(target.inboxFallback
          ? [{ url: 'https://yiwang.cn/fhir/StructureDefinition/critical-value-inbox-fallback', valueBoolean: true }]
          : []),
      ],
    };
    const written = (await tx.create(communication)).resource as Communication;
    const inputs = (task.input ?? []).filter(
      (i) => !i.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === 'escalation-level'),
    );
    // The state stays 'notified' (the engine's); the level goes on the Task and on the engine's worklist row.
    await tx.update(
      'Task',
      taskId,
      {
        ...task,
        lastModified: now,
        extension: withExtension(task.extension, { url: ESCALATION_EXTENSION, valueInteger: level }),
        input: [...inputs, input('escalation-level', { valueInteger: level })],
      },
      { ifMatch: task.meta?.versionId },
    );
    await setEscalationLevel(tx, taskId, level);
    return { task, communication: written };
  });
  if (!result) return { escalated: false, recipients: [] };
  const recipients = (result.communication.recipient ?? []).map((r) => r.reference!).filter(Boolean);
  // The doctor who has not acknowledged is reminded by the engine at the due time (category critical-value).
  for (const recipient of recipients) {
    await deps.notifier.send({
      tenant: repo.tenant,
      recipient,
      category: NOTIFICATION_CATEGORY,
      priority: 'stat',
      title: `危急值上报（${step.display}）：超时未确认`,
      body: result.communication.payload?.[0]?.contentString ?? '',
      link: alertLink(taskId),
      focus: `Task/${taskId}`,
      patient: result.task.for?.reference,
      dedupKey: `critical-value:${taskId}:escalation-${level}`,
    });
  }
  return { escalated: true, recipients };
}
