/**
 * HTTP API of critical values (every route needs a token; residents' data is read through the caller's repository
 * and each read or write is audited). Errors are FHIR OperationOutcomes (400 bad input, 403, 404, 409, 422 read-back).
 *
 *   GET  /api/critical-values?view=open|overdue|mine|all&from=&to=&limit=   { view, items: AlertSummary[] }
 *   GET  /api/critical-values/indicator?from=&to=&organization=             TimelinessIndicator (危急值通报及时率)
 *   GET  /api/critical-values/catalogue?date=                                the catalogue version in force + workflow
 *   GET  /api/critical-values/:taskId                                        AlertChain (summary + events)
 *   POST /api/critical-values/:taskId/acknowledge  { readBack, action? }     AlertChain after acknowledgement
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Task } from '@medplum/fhirtypes';
import { principalOf } from '../../platform/auth/guard.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import type { ModuleContext } from '../../platform/module.js';
import { recipientsOf } from '../../platform/notify/routes.js';
import { acknowledge, parseAcknowledgeBody, readAlertTask } from './acknowledge.js';
import { versionInForce } from './catalogue.js';
import type { CriticalValueDeps } from './deps.js';
import { workflowInForce, workflowVersion } from './policy.js';
import { alertTasks, chainOf, escalatedTo, summarise, timeliness, withPatientNames } from './views.js';
import { findResources } from './fhir.js';
import { slot } from './model.js';
import type { Repository } from '../../platform/fhir/repository.js';

const VIEWS = ['open', 'overdue', 'mine', 'all'] as const;
type View = (typeof VIEWS)[number];

function instantParam(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw badRequest(`'${name}' must be a date or an instant such as 2026-12-01 or 2026-12-01T08:00:00+08:00`, name);
  }
  // A bare date is a county day (UTC+8).
  return v.length === 10 ? `${v}T00:00:00+08:00` : v;
}

export async function registerCriticalValueRoutes(app: FastifyInstance, ctx: ModuleContext, deps: CriticalValueDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));
    if (!scope.hasContentTypeParser('application/fhir+json')) {
      scope.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
        try {
          done(null, body === '' ? undefined : JSON.parse(body as string));
        } catch {
          done(badRequest('The body is not valid JSON'), undefined);
        }
      });
    }

    const audit = (request: FastifyRequest, action: 'read' | 'update', tasks: Task[], detail: string) => {
      if (!tasks.length) return;
      ctx.auditAccess(request, {
        action,
        resources: tasks.map((t) => `Task/${t.id}`),
        patients: [...new Set(tasks.map((t) => t.for?.reference).filter((r): r is string => !!r))],
        detail,
      });
    };

    /** The chain of an alert the caller may see (its parts read in full: the resident is in their scope), names filled in. */
    const chainFor = async (repo: Repository, task: Task) => {
      const version = slot(task.input, 'workflow-version')?.valueString;
      const chain = await chainOf(ctx.systemRepository(repo.tenant), task, deps.clock.now(), workflowVersion(deps.definitions, version));
      return (await withPatientNames(repo, [chain]))[0];
    };

    scope.get('/api/critical-values', async (request) => {
      const q = request.query as Record<string, unknown>;
      const view = (q.view ?? 'open') as View;
      if (!VIEWS.includes(view)) throw badRequest(`'view' must be one of ${VIEWS.join(', ')}`, 'view');
      const limit = q.limit === undefined ? 200 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest("'limit' must be 1–1000", 'limit');
      const from = instantParam(q, 'from');
      const to = instantParam(q, 'to');
      const repo = await ctx.repositoryFor(request);
      const now = deps.clock.now();
      let tasks: Task[];
      if (view === 'mine') {
        const me = recipientsOf(principalOf(request));
        const owned = await alertTasks(
          repo,
          { from, to, status: 'requested', owner: me.filter((r) => !r.startsWith('user:')).join(',') || 'none' },
          limit,
        );
        const escalated = await escalatedTo(
          repo,
          me.filter((r) => !r.startsWith('user:')),
        );
        const more = escalated.length ? await findResources<Task>(repo, 'Task', `_id=${escalated.join(',')}&status=requested`, limit) : [];
        const byId = new Map([...owned, ...more].map((t) => [t.id!, t]));
        tasks = [...byId.values()].sort((a, b) => (b.authoredOn ?? '').localeCompare(a.authoredOn ?? ''));
      } else {
        tasks = await alertTasks(repo, { from, to, status: view === 'all' ? undefined : 'requested' }, limit);
      }
      let items = tasks.map((t) => summarise(t, now));
      if (view === 'overdue') items = items.filter((i) => i.overdue);
      const shown = new Set(items.map((i) => i.taskId));
      audit(
        request,
        'read',
        tasks.filter((t) => shown.has(t.id!)),
        `critical values list (${view})`,
      );
      return { view, ...(from ? { from } : {}), ...(to ? { to } : {}), items: await withPatientNames(repo, items.slice(0, limit)) };
    });

    scope.get('/api/critical-values/indicator', async (request) => {
      const q = request.query as Record<string, unknown>;
      const from = instantParam(q, 'from');
      const to = instantParam(q, 'to');
      const organization = typeof q.organization === 'string' && q.organization ? q.organization.replace(/^Organization\//, '') : undefined;
      if (organization !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(organization)) {
        throw badRequest("'organization' must be an Organization id", 'organization');
      }
      const repo = await ctx.repositoryFor(request);
      let tasks = await alertTasks(repo, { from, to }, 100_000);
      if (organization) {
        const rows = await ctx.db.query<{ id: string }>(
          `WITH RECURSIVE tree(id) AS (
             SELECT $2::text
             UNION
             SELECT o.id FROM "Organization" o JOIN tree t ON o.p_partof && ARRAY['Organization/' || t.id]
             WHERE o.tenant = $1 AND NOT o.deleted
           ) SELECT id FROM tree`,
          [repo.tenant, organization],
        );
        const within = new Set(rows.rows.map((r) => `Organization/${r.id}`));
        tasks = tasks.filter((t) => {
          const s = summarise(t, deps.clock.now());
          return !!s.institution && within.has(s.institution);
        });
      }
      const now = deps.clock.now();
      return timeliness(tasks, now, deps.definitions, workflowInForce(deps.definitions, now), {
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(organization ? { organization: `Organization/${organization}` } : {}),
      });
    });

    scope.get('/api/critical-values/catalogue', async (request) => {
      const q = request.query as Record<string, unknown>;
      const date = instantParam(q, 'date') ?? deps.clock.now().toISOString();
      const version = versionInForce(deps.catalogue, date);
      if (!version) throw badRequest(`No critical-value catalogue is in force on ${date}`, 'date');
      return {
        catalogue: version,
        workflow: workflowInForce(deps.definitions, new Date(date)),
        versions: deps.catalogue.map((v) => v.version),
      };
    });

    scope.get('/api/critical-values/:taskId', async (request) => {
      const { taskId } = request.params as { taskId: string };
      const repo = await ctx.repositoryFor(request);
      const task = await readAlertTask(repo, taskId);
      audit(request, 'read', [task], 'critical value alert');
      return chainFor(repo, task);
    });

    scope.post('/api/critical-values/:taskId/acknowledge', async (request) => {
      const { taskId } = request.params as { taskId: string };
      const body = parseAcknowledgeBody(request.body);
      const repo = await ctx.repositoryFor(request);
      const principal = principalOf(request);
      const task = await acknowledge(deps, repo, ctx.systemRepository(repo.tenant), principal, taskId, body);
      audit(request, 'update', [task], 'critical value acknowledged with read-back');
      return chainFor(repo, task);
    });
  });
}
