/**
 * The steps of a consultation that write more than the Task: arranging the experts (participants + the access grant +
 * their invitations), adding an external expert, an expert's opinion, the lead expert's conclusion and the requester's
 * evaluation. Each step is one transaction with its workflow transition (engine.transaction): a refusal at any point
 * writes nothing. The plain actions (accept, reject, start, cancel) go straight to the engine.
 */
import type { ClinicalImpression, Organization, Practitioner, ServiceRequest, Task } from '@medplum/fhirtypes';
import { findResources } from '../../platform/fhir/lookup.js';
import { badRequest, conflict, forbidden } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import type { Notification } from '../../platform/notify/notifier.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { StepResult, TransitionInput } from '../../platform/workflow/engine.js';
import { checkExperts, requireState } from './checks.js';
import { grantAccess, platformIn } from './grant.js';
import {
  DOC_SYSTEM,
  EXT,
  EXTERNAL_EXPERT_SYSTEM,
  kindOf,
  outputType,
  participantExtension,
  participantsOf,
  type Kind,
  type Participant,
} from './model.js';
import { documentsOf, type ConsultationService } from './service.js';
import type { ExternalInput, ScheduleInput } from './validate.js';

const PLAIN_ACTIONS = ['accept', 'reject', 'begin', 'cancel'];
const EXTERNAL_HOSPITAL_SYSTEM = 'https://yiwang.cn/fhir/sid/external-hospital';
const LEVEL_TEXT = { city: '市级医院', province: '省级医院' } as const;
const me = (actor: Actor) => (actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined);

export class ConsultationSteps {
  constructor(
    private readonly ctx: ModuleContext,
    private readonly service: ConsultationService,
  ) {}

  private get engine() {
    return this.service.engine;
  }

  private now() {
    return this.ctx.clock.now();
  }

  /** accept | reject | begin | cancel, with the engine's rules (who, from which state, reason). */
  async act(repo: Repository, actor: Actor, id: string, action: string, input: TransitionInput): Promise<StepResult> {
    if (!PLAIN_ACTIONS.includes(action))
      throw badRequest(
        `Unknown action '${action}': use ${PLAIN_ACTIONS.join(', ')}, or the schedule/opinions/conclusion/evaluation routes (未知操作)`,
        'action',
      );
    const { task } = await this.service.open(repo, actor, id);
    return this.engine.transition(repo, actor, task.id as string, action, input);
  }

  /** The centre names the experts (one of them the lead) and the session time; the experts get the record and an invitation. */
  async schedule(repo: Repository, actor: Actor, id: string, input: ScheduleInput, ifMatch?: string): Promise<StepResult> {
    const { sr, task } = await this.service.open(repo, actor, id);
    requireState(task, ['accepted'], { zh: '安排专家', en: 'Scheduling' });
    const system = this.ctx.systemRepository(repo.tenant);
    await checkExperts(system, input.experts);
    const at = this.now().toISOString();
    const participants: Participant[] = [];
    for (const practitioner of input.experts) {
      const [role] = await findResources(system, 'PractitionerRole', `practitioner=${practitioner}&active=true`, 1);
      const organization = (role as { organization?: { reference?: string } } | undefined)?.organization?.reference;
      participants.push({
        practitioner,
        ...(organization ? { organization } : {}),
        role: practitioner === input.lead ? 'lead' : 'member',
        invitedAt: at,
      });
    }
    const outbox: Notification[] = [];
    const step = await this.engine.transaction(repo, async (tx) => {
      await tx.update('ServiceRequest', id, {
        ...sr,
        extension: [...(sr.extension ?? []).filter((e) => e.url !== EXT.participant), ...participants.map(participantExtension)],
        occurrenceDateTime: input.start,
      });
      await grantAccess(tx, this.grantee(sr, task), participants, at);
      for (const p of participants) {
        outbox.push(
          await this.ctx.notifier.send(
            {
              tenant: tx.tenant,
              recipient: p.practitioner,
              category: 'consultation',
              priority: task.priority === 'urgent' ? 'urgent' : 'routine',
              title: `远程会诊邀请：${p.role === 'lead' ? '主持专家' : '会诊专家'}`,
              body: `会诊时间 ${input.start}；${sr.reasonCode?.[0]?.text ?? ''}`,
              link: `/consultation/${id}`,
              focus: `Task/${task.id}`,
              patient: sr.subject?.reference,
              dedupKey: `consultation:${id}:invite`,
            },
            tx.db,
          ),
        );
      }
      return this.engine.transition(tx, actor, task.id as string, 'schedule', {
        ...(input.note ? { note: input.note } : {}),
        ...(ifMatch ? { ifMatch } : {}),
      });
    });
    for (const n of outbox)
      await this.ctx.notifier.dispatch(n).catch((err: unknown) => this.ctx.log.warn({ err }, 'consultation invitation not pushed'));
    return step;
  }

  private grantee(sr: ServiceRequest, task: Task) {
    return {
      serviceRequestId: sr.id as string,
      patient: sr.subject?.reference as string,
      centre: task.owner?.reference as string,
      kind: kindOf(sr) as Kind,
    };
  }

  /**
   * The centre adds an expert of a city or province hospital (市级/省级医院) as an external participant: an Organization
   * outside the county (reused by name) and a Practitioner with their contact, marked as external guests.
   */
  async addExternal(repo: Repository, actor: Actor, id: string, input: ExternalInput): Promise<Participant> {
    const { sr, task, party } = await this.service.open(repo, actor, id);
    if (!party.centre) throw forbidden('Only the consultation centre adds external experts (只有会诊中心可以邀请院外专家)');
    requireState(task, ['accepted', 'scheduled', 'in-session'], { zh: '邀请院外专家', en: 'Adding an external expert' });
    const at = this.now().toISOString();
    return this.engine.transaction(repo, async (tx) => {
      // Registries are maintained by administrators; the centre registers its guest through the module, with platform rights.
      const sys = platformIn(tx);
      const [known] = await findResources<Organization>(
        sys,
        'Organization',
        `identifier=${EXTERNAL_HOSPITAL_SYSTEM}|${input.institution}`,
        1,
      );
      const organization =
        known ??
        ((
          await sys.create({
            resourceType: 'Organization',
            identifier: [{ system: EXTERNAL_HOSPITAL_SYSTEM, value: input.institution }],
            active: true,
            name: input.institution,
            type: [{ text: LEVEL_TEXT[input.level] }],
            extension: [{ url: EXT.level, valueCode: input.level }],
          } satisfies Organization)
        ).resource as Organization);
      const practitioner = (
        await sys.create({
          resourceType: 'Practitioner',
          identifier: [{ system: EXTERNAL_EXPERT_SYSTEM, value: `${id}:${participantsOf(sr).length + 1}` }],
          active: true,
          name: [{ text: input.name }],
          telecom: [{ system: /^[0-9+\-\s]{5,20}$/.test(input.contact) ? 'phone' : 'other', value: input.contact }],
          ...(input.specialty ? { qualification: [{ code: { text: input.specialty } }] } : {}),
        } satisfies Practitioner)
      ).resource as Practitioner;
      await sys.flush();
      const participant: Participant = {
        practitioner: `Practitioner/${practitioner.id}`,
        organization: `Organization/${organization.id}`,
        role: 'external',
        invitedAt: at,
      };
      const current = (await tx.read('ServiceRequest', id)) as ServiceRequest;
      await tx.update('ServiceRequest', id, { ...current, extension: [...(current.extension ?? []), participantExtension(participant)] });
      await grantAccess(tx, this.grantee(sr, task), [participant], at);
      return participant;
    });
  }

  /**
   * An invited expert's opinion (会诊意见), one per expert (a second one revises it); the centre enters an external
   * expert's opinion on their behalf, attributed to them, with who entered it.
   */
  async opinion(repo: Repository, actor: Actor, id: string, input: { opinion: string; onBehalfOf?: string }): Promise<ClinicalImpression> {
    const { sr, task, party } = await this.service.open(repo, actor, id);
    requireState(task, ['in-session'], { zh: '填写会诊意见', en: 'Writing an opinion' });
    let author = me(actor);
    if (input.onBehalfOf) {
      const external = participantsOf(sr).find((p) => p.practitioner === input.onBehalfOf);
      if (!external || external.role !== 'external')
        throw badRequest(
          `${input.onBehalfOf} is not an external expert of this consultation (只能代录本次会诊院外专家的意见)`,
          'onBehalfOf',
        );
      if (!party.centre)
        throw forbidden('Only the consultation centre enters an external expert’s opinion (只有会诊中心可以代录院外专家意见)');
      author = input.onBehalfOf;
    } else if (!party.expert || party.expert.role === 'external') {
      throw forbidden('Only an invited expert writes an opinion (只有受邀专家可以填写会诊意见)');
    }
    const at = this.now().toISOString();
    return repo.withTransaction(async (tx) => {
      const { opinions } = await documentsOf(tx, id);
      const earlier = opinions.find((o) => o.assessor?.reference === author);
      const body: ClinicalImpression = {
        resourceType: 'ClinicalImpression',
        ...(input.onBehalfOf
          ? { extension: [{ url: EXT.enteredBy, valueReference: { reference: me(actor) ?? `user:${actor.userId}` } }] }
          : {}),
        status: 'completed',
        code: { coding: [{ system: DOC_SYSTEM, code: 'opinion', display: '会诊意见' }], text: '会诊意见 (consultation opinion)' },
        subject: { reference: sr.subject?.reference as string },
        date: at,
        assessor: { reference: author as string },
        summary: input.opinion,
        supportingInfo: [{ reference: `ServiceRequest/${id}` }],
      };
      return (earlier ? await tx.update('ClinicalImpression', earlier.id as string, { ...body, id: earlier.id }) : await tx.create(body))
        .resource as ClinicalImpression;
    });
  }

  /**
   * The lead expert's conclusion (会诊结论): needs the experts' opinions first (one; two for an MDT). The conclusion and
   * the transition are one transaction; the transition's hook (hooks.ts) writes the charges and ends the experts' access.
   */
  async conclude(repo: Repository, actor: Actor, id: string, input: { conclusion: string; recommendation?: string }, ifMatch?: string) {
    const { sr, task, party } = await this.service.open(repo, actor, id);
    requireState(task, ['in-session'], { zh: '出具会诊结论', en: 'Concluding' });
    if (party.expert?.role !== 'lead') throw forbidden('Only the lead expert concludes the consultation (只有主持专家可以出具会诊结论)');
    const { opinions } = await documentsOf(repo, id);
    const needed = kindOf(sr) === 'mdt' ? 2 : 1;
    if (new Set(opinions.map((o) => o.assessor?.reference)).size < needed)
      throw conflict(`The conclusion needs ${needed} expert opinion(s) first (需先有 ${needed} 位专家的会诊意见)`);
    const at = this.now().toISOString();
    return this.engine.transaction(repo, async (tx) => {
      const conclusion = (
        await tx.create({
          resourceType: 'ClinicalImpression',
          status: 'completed',
          code: { coding: [{ system: DOC_SYSTEM, code: 'conclusion', display: '会诊结论' }], text: '会诊结论 (consultation conclusion)' },
          subject: { reference: sr.subject?.reference as string },
          date: at,
          assessor: { reference: me(actor) as string },
          summary: input.conclusion,
          supportingInfo: [{ reference: `ServiceRequest/${id}` }, ...opinions.map((o) => ({ reference: `ClinicalImpression/${o.id}` }))],
          ...(input.recommendation ? { note: [{ text: input.recommendation, time: at }] } : {}),
        } satisfies ClinicalImpression)
      ).resource as ClinicalImpression;
      const step = await this.engine.transition(tx, actor, task.id as string, 'conclude', {
        output: [{ type: outputType('conclusion', '会诊结论'), valueReference: { reference: `ClinicalImpression/${conclusion.id}` } }],
        ...(ifMatch ? { ifMatch } : {}),
      });
      return { step, conclusion };
    });
  }

  /** The requester's evaluation (满意度评价): once, 1–5 stars and a comment, kept in the Task's output. */
  async evaluate(
    repo: Repository,
    actor: Actor,
    id: string,
    input: { score: number; comment?: string },
    ifMatch?: string,
  ): Promise<StepResult> {
    const { task } = await this.service.open(repo, actor, id);
    return this.engine.transition(repo, actor, task.id as string, 'evaluate', {
      output: [
        { type: outputType('evaluation-score', '满意度评分'), valueInteger: input.score },
        ...(input.comment ? [{ type: outputType('evaluation-comment', '评价意见'), valueString: input.comment }] : []),
      ],
      ...(ifMatch ? { ifMatch } : {}),
    });
  }
}
