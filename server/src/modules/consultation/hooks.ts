/**
 * What must hold, and what follows, whatever route made a consultation's transition (the module's routes or the
 * generic POST /api/tasks/:id/transition): run inside the transition's transaction, so a refusal undoes the step.
 *
 *   schedule  the experts and the session time are on the ServiceRequest (the module's schedule route puts them there)
 *   conclude  by the lead expert, with their conclusion in the output; then the charges, the end of the experts'
 *             access and the ServiceRequest completed
 *   evaluate  a score of 1–5 in the output
 *   reject / cancel  the experts' access ends, the ServiceRequest is revoked
 */
import type { ClinicalImpression, ServiceRequest } from '@medplum/fhirtypes';
import { readRef } from '../../platform/fhir/lookup.js';
import { badRequest, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { TransitionHook, WorkflowEngine } from '../../platform/workflow/engine.js';
import { requesterOrganizationOf } from '../../platform/workflow/fhir.js';
import { chargesFor, type FeeSchedule } from './fees.js';
import { platformIn, revokeAccess } from './grant.js';
import { DOC_SYSTEM, kindOf, outputsOf, participantsOf, WORKFLOW, type Kind } from './model.js';
import { CHARGE_ID_SYSTEM } from './service.js';

async function closeRequest(tx: Repository, sr: ServiceRequest, status: 'completed' | 'revoked', at: string): Promise<void> {
  await revokeAccess(tx, sr.id as string, at);
  const sys = platformIn(tx);
  await sys.update('ServiceRequest', sr.id as string, { ...sr, status });
  await sys.flush();
}

export function registerConsultationHooks(engine: WorkflowEngine, fees: () => readonly FeeSchedule[], now: () => Date): void {
  const hook: TransitionHook = async ({ repo, actor, task, action, input }) => {
    const srRef = task.focus?.reference ?? '';
    const sr = await readRef<ServiceRequest>(platformIn(repo), srRef, 'ServiceRequest');
    if (!sr) return;
    const at = now().toISOString();
    const participants = participantsOf(sr);
    if (action === 'schedule' && (!participants.some((p) => p.role === 'lead') || !sr.occurrenceDateTime)) {
      throw badRequest(
        `Name the experts and the time: POST /api/consultation/requests/${sr.id}/schedule (请先安排会诊专家和时间)`,
        'experts',
      );
    }
    if (action === 'conclude') {
      const me = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
      if (!me || participants.find((p) => p.practitioner === me)?.role !== 'lead')
        throw forbidden('Only the lead expert concludes the consultation (只有主持专家可以出具会诊结论)');
      const ref = outputsOf(task, 'conclusion').at(-1)?.valueReference?.reference;
      const conclusion = await readRef<ClinicalImpression>(repo, ref, 'ClinicalImpression');
      const isConclusion = conclusion?.code?.coding?.some((c) => c.system === DOC_SYSTEM && c.code === 'conclusion');
      if (!conclusion || !isConclusion || conclusion.assessor?.reference !== me)
        throw badRequest(`Write the conclusion: POST /api/consultation/requests/${sr.id}/conclusion (请填写会诊结论)`, 'conclusion');
      const sys = platformIn(repo);
      const charges = chargesFor(fees(), {
        kind: kindOf(sr) as Kind,
        externalExperts: participants.filter((p) => p.role === 'external').length,
        patient: sr.subject?.reference as string,
        serviceRequest: `ServiceRequest/${sr.id}`,
        centre: task.owner?.reference as string,
        requesterOrganization: requesterOrganizationOf(task),
        enterer: me,
        concludedAt: now(),
      });
      for (const charge of charges) await sys.create({ ...charge, identifier: [{ system: CHARGE_ID_SYSTEM, value: sr.id }] });
      await sys.flush();
      await closeRequest(repo, sr, 'completed', at);
    }
    if (action === 'evaluate') {
      const score = outputsOf(task, 'evaluation-score').at(-1)?.valueInteger;
      if (!score || score < 1 || score > 5) throw badRequest("'score' must be a whole number from 1 to 5 (满意度评分应为 1–5)", 'score');
      if (outputsOf(task, 'evaluation-score').length > 1 || !input.output?.length)
        throw badRequest('A consultation is evaluated once (每次会诊只能评价一次)', 'score');
    }
    if (action === 'reject' || action === 'cancel') await closeRequest(repo, sr, 'revoked', at);
  };
  engine.onTransition(WORKFLOW, hook);
}
