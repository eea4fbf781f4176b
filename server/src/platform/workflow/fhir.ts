/**
 * How a workflow task is written in FHIR (docs/workflow.md), so that other modules and external systems can read
 * tasks as plain resources: "open tasks" is a Task search, a task's history is its Provenance chain.
 */
import type { Annotation, Extension, Provenance, Reference, Task } from '@medplum/fhirtypes';
import type { Actor } from './actor.js';
import { actorReference } from './actor.js';
import type { StateDefinition, WorkflowDefinition } from './definition.js';

export const WORKFLOW_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/workflow';
export const STATE_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/workflow-state';
export const ACTION_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/workflow-action';
export const ESCALATION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/task-escalation-level';
export const REQUESTER_ORGANIZATION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/task-requester-organization';

export function businessStatus(state: string, s: StateDefinition): Task['businessStatus'] {
  return { coding: [{ system: STATE_SYSTEM, code: state, display: s.display.zh }], text: `${s.display.zh} (${s.display.en})` };
}

export const workflowCode = (def: WorkflowDefinition): Task['code'] => ({
  coding: [{ system: WORKFLOW_SYSTEM, code: def.id, display: def.title.zh }],
  text: `${def.title.zh} (${def.title.en})`,
});

export const stateOf = (task: Task): string | undefined => task.businessStatus?.coding?.find((c) => c.system === STATE_SYSTEM)?.code;

export function escalationLevelOf(task: Task): number {
  return task.extension?.find((e) => e.url === ESCALATION_EXTENSION)?.valueInteger ?? 0;
}

export function requesterOrganizationOf(task: Task): string | undefined {
  return task.extension?.find((e) => e.url === REQUESTER_ORGANIZATION_EXTENSION)?.valueReference?.reference;
}

export function withExtension(list: Extension[] | undefined, ext: Extension): Extension[] {
  return [...(list ?? []).filter((e) => e.url !== ext.url), ext];
}

export function noteOf(actor: Actor, text: string, at: string): Annotation {
  const who = actorReference(actor);
  return { ...(who ? { authorReference: { reference: who } } : { authorString: actor.display ?? actor.userId }), time: at, text };
}

export interface ProvenanceInput {
  task: Task;
  actor: Actor;
  action: string;
  actionDisplay: string;
  at: string;
  reason?: string;
  patient?: string;
}

/** Who did what to which version of the task, when and why. */
export function provenanceFor(input: ProvenanceInput): Provenance {
  const { task, actor } = input;
  const who = actorReference(actor);
  const agent: Provenance['agent'][number] = {
    type: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
          code: actor.userId === 'system' ? 'assembler' : 'performer',
        },
      ],
    },
    who: who ? { reference: who, display: actor.display } : { display: actor.display ?? `user:${actor.userId}` },
    ...(actor.organizationId ? { onBehalfOf: { reference: `Organization/${actor.organizationId}` } } : {}),
  };
  const target: Reference[] = [{ reference: `Task/${task.id}/_history/${task.meta?.versionId}` }];
  return {
    resourceType: 'Provenance',
    target,
    recorded: input.at,
    activity: { coding: [{ system: ACTION_SYSTEM, code: input.action, display: input.actionDisplay }] },
    agent: [agent],
    ...(input.reason ? { reason: [{ text: input.reason }] } : {}),
    extension: [{ url: 'https://yiwang.cn/fhir/StructureDefinition/provenance-user', valueString: actor.userId }],
  };
}
