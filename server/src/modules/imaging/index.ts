/**
 * Imaging centre (影像诊断中心, docs/imaging.md): a township requests and uploads a DR/US/CT/MR study, the county
 * centre reads it on its worklist, a second reader signs the report (SM2), and the report returns to the requester and
 * the resident's record; critical findings raise the critical-value loop through their codes. The state machine,
 * roster and recognition catalogue are the shared reading rules (modules/reading); the archive is Orthanc behind
 * Yiwang's /dicomweb (platform/exchange/dicomweb).
 */
import type { FastifyRequest } from 'fastify';
import { OrthancClient } from '../../platform/exchange/dicomweb/orthanc.js';
import { registerDicomwebRoutes } from '../../platform/exchange/dicomweb/routes.js';
import type { YiwangModule } from '../../platform/module.js';
import { whoIs } from '../reading/case-routes.js';
import { casesOfStudy } from '../reading/cases.js';
import { readOptional } from '../reading/fhir.js';
import { caseScope, sideOf } from '../reading/access.js';
import { defineReadingWorkflows } from '../reading/rules.js';
import { ReadingService } from '../reading/service.js';
import { Intake } from './intake.js';
import { CENTRE } from './model.js';
import { imagingProfile } from './profile.js';
import { registerImagingRoutes } from './routes.js';

export const imagingModule: YiwangModule = {
  id: 'imaging',
  async register(app, ctx) {
    const engine = ctx.workflows;
    defineReadingWorkflows(engine);
    const archive = ctx.config.orthanc ? new OrthancClient(ctx.config.orthanc) : undefined;
    // Said at start, so a wrong URL or password shows in the log before the first upload fails.
    if (archive) {
      void archive.ping().then((ok) => {
        if (!ok)
          ctx.log.warn(
            `The imaging archive at ${ctx.config.orthanc?.url} does not answer (check YIWANG_ORTHANC_URL and its credentials); imaging requests will fail until it does`,
          );
      });
    } else ctx.log.info('No imaging archive configured (YIWANG_ORTHANC_URL): imaging routes answer 503');
    const now = () => ctx.clock.now();
    const intake = archive ? new Intake(archive, engine, now) : undefined;
    const service = new ReadingService(imagingProfile, engine, ctx.notifier, now);

    /** The caller's repository and which institutions' cases they see (reading/access.ts). */
    const scoped = async (request: FastifyRequest) => {
      const { repo, actor } = await whoIs(ctx, request);
      return { repo, scope: await caseScope(repo, actor) };
    };

    await registerDicomwebRoutes(app, ctx, {
      client: archive,
      async studyAccess(request, studyUid) {
        const { repo, scope } = await scoped(request);
        const cases = (await casesOfStudy(repo, studyUid)).filter((c) => c.centre === CENTRE && sideOf(c, scope));
        // The record's own access policy must let the caller see the study too (404 otherwise); cases of one study
        // share its ImagingStudy, so each is read once.
        const tried = new Set<string>();
        for (const c of cases) {
          if (!c.imaging_study || tried.has(c.imaging_study)) continue;
          tried.add(c.imaging_study);
          if (await readOptional(repo, c.imaging_study)) return { imagingStudy: c.imaging_study, patient: c.patient };
        }
        return undefined;
      },
      async visibleStudies(request) {
        const { repo, scope } = await scoped(request);
        if (scope.all) return undefined;
        const rows = await repo.query<{ study_uid: string }>(
          `SELECT study_uid FROM reading_case WHERE tenant = $1 AND centre = $2 AND study_uid IS NOT NULL
              AND (owner_org = ANY($3::text[]) OR requester_org = ANY($3::text[]))
            ORDER BY requested_at DESC LIMIT 500`,
          [repo.tenant, CENTRE, scope.subtree],
        );
        return [...new Set(rows.map((r) => r.study_uid))];
      },
      async store(request, files, requestRef) {
        const { repo, actor } = await whoIs(ctx, request);
        const result = await intake!.upload(repo, ctx.systemRepository(repo.tenant), actor, files, requestRef);
        ctx.auditAccess(request, {
          action: 'create',
          resources: [result.imagingStudy, result.task ? `Task/${result.task}` : undefined].filter((x): x is string => !!x),
          detail: `STOW-RS ${files.length} file(s) of study ${result.studyUid}: ${result.outcome}`,
        });
        const body = {
          '00081190': { vr: 'UR', Value: [`/dicomweb/studies/${result.studyUid}`] },
          '00081199': {
            vr: 'SQ',
            Value: result.instances.map((i) => ({
              '00081150': { vr: 'UI', Value: [i.sopClass] },
              '00081155': { vr: 'UI', Value: [i.sopUid] },
              '00081190': { vr: 'UR', Value: [`/dicomweb/studies/${i.studyUid}/series/${i.seriesUid}/instances/${i.sopUid}`] },
            })),
          },
        };
        const headers: Record<string, string> = {
          'x-yiwang-outcome': result.outcome,
          'access-control-expose-headers': 'x-yiwang-outcome, x-yiwang-task, x-yiwang-imaging-study, x-yiwang-reconciliation',
        };
        if (result.imagingStudy) headers['x-yiwang-imaging-study'] = result.imagingStudy;
        if (result.task) headers['x-yiwang-task'] = result.task;
        if (result.reconciliation) {
          headers['x-yiwang-reconciliation'] = result.reconciliation;
          headers.warning = `299 yiwang "${encodeURIComponent(result.reason ?? 'reconciliation')}"`;
        }
        // 202: stored, but waiting for a person to tie it to a resident.
        return { status: result.outcome === 'linked' ? 200 : 202, body, headers };
      },
    });
    await registerImagingRoutes(app, { ctx, service, intake: () => intake });
  },
};
