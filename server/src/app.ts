/**
 * Builds the Yiwang server: the platform (record store, health probes) plus the list of modules.
 * One process, one port: FHIR API, web app and module routes share it.
 */
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { loadDefinitions } from './platform/fhir/definitions.js';
import { registerFhirRoutes, type FhirInteraction } from './platform/fhir/http.js';
import { Repository } from './platform/fhir/repository.js';
import { addResourceCheck } from './platform/fhir/validate.js';
import { checkResidentIdNumbers, matchOperation } from './platform/identity/empi/index.js';
import { registerEmpiRoutes } from './platform/identity/empi/routes.js';
import {
  createAuthenticator,
  loadAuthConfig,
  principalOf,
  registerAuthGuard,
  registerAuthRoutes,
  type AuthService,
} from './platform/auth/index.js';
import { AccessResolver } from './platform/access/resolver.js';
import { maskBody, masksFor, rejectMaskedValues } from './platform/access/mask.js';
import { accessAuditInputs } from './platform/access/audit-access.js';
import { forbidden } from './platform/fhir/outcomes.js';
import { noAccess } from './platform/fhir/access.js';
import type { RawJson } from './platform/fhir/raw.js';
import type { Resource } from '@medplum/fhirtypes';
import { registerAdminRoutes } from './platform/admin/routes.js';
import { signatureOperations } from './platform/signature/operations.js';
import { AuditTrail, securityEventToAudit } from './platform/audit/index.js';
import type { SecurityEvent } from './platform/auth/index.js';
import { bulkOperations, registerBulkRoutes } from './platform/bulk/routes.js';
import { BulkRunner } from './platform/bulk/runner.js';
import { protectDatabase, type FieldProtection } from './platform/protect/index.js';
import { registerHl7Interface, type Hl7Service } from './platform/exchange/hl7v2/server.js';
import { registerWebRoutes } from './platform/web/routes.js';
import { systemClock, type Clock } from './platform/clock.js';
import { EventDispatcher } from './platform/events/dispatcher.js';
import { createEventTransport } from './platform/events/transport.js';
import { registerEventAdminRoutes } from './platform/events/routes.js';
import { registerSubscriptions, type Subscriptions } from './platform/subscriptions/index.js';
import { Scheduler } from './platform/scheduler/scheduler.js';
import { LoggingChannel, Notifier } from './platform/notify/notifier.js';
import { registerInboxRoutes } from './platform/notify/routes.js';
import { WorkflowEngine } from './platform/workflow/engine.js';
import type { ModuleContext } from './platform/module.js';
import { MODULE_LIST } from './modules/index.js';

export interface YiwangApp {
  app: FastifyInstance;
  db: Database;
  config: Config;
  /** A repository with full access for the given tenant (system jobs, CLI import/export). */
  systemRepository(tenant?: string): Repository;
  /** The background runner of FHIR Bulk Data jobs ($export, $import). */
  bulk: BulkRunner;
  /** The tamper-evident audit trail: security events and every access to personal data. */
  audit: AuditTrail;
  /** Sign-in, sessions and tokens. */
  auth: AuthService;
  /** Access policies compiled per caller. */
  access: AccessResolver;
  /** Every HTTP route with whether it is public (no token needed). */
  routes: RouteInfo[];
  /** Field encryption at rest (keys, seal/reveal); every Repository over `db` uses it. */
  fieldKeys: FieldProtection;
  /** The HL7 v2 receiver (POST /hl7/v2, message log; `yiwang serve` puts the MLLP listener in front of it). */
  hl7: Hl7Service;
  /** The platform clock (a ManualClock in tests that move time). */
  clock: Clock;
  /** Committed writes → module handlers (transactional outbox; in process or through NATS JetStream). */
  events: EventDispatcher;
  /** FHIR R4 Subscriptions: their event handler (subscribed to `events`), registry and websocket hub. */
  subscriptions: Subscriptions;
  /** Timed jobs (escalations, reminders) that survive restarts. */
  scheduler: Scheduler;
  /** Inbox, live push and outbound channels. */
  notifier: Notifier;
  /** Workflows as data: tasks, transitions, due times, escalation, worklists. */
  workflows: WorkflowEngine;
  close(): Promise<void>;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  const text = Array.isArray(v) ? v[0] : v;
  if (text === undefined) return undefined;
  try {
    // Non-ASCII text (a reason in Chinese) travels percent-encoded in headers.
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Break-glass (紧急授权): the caller states why they open a record outside their scope. */
const breakGlassReasonOf = (request: FastifyRequest): string | undefined => headerOf(request, 'x-break-glass-reason');

export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
}

export interface BuildOptions {
  logger?: boolean;
  /** The platform clock; tests pass a ManualClock to move time. */
  clock?: Clock;
  /** Start the event dispatcher and the scheduler's background loops (default true; tests may drive them by hand). */
  background?: boolean;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<YiwangApp> {
  const clock = options.clock ?? systemClock;
  loadDefinitions();
  addResourceCheck('Patient', checkResidentIdNumbers);
  for (const type of ['Patient', 'Person', 'RelatedPerson']) addResourceCheck(type, rejectMaskedValues);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: config.memory });
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // While shutting down: new requests get 503, idle keep-alive connections close, in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await migrate(db, (msg) => app.log.info(msg));
  const fieldKeys = protectDatabase(db, config, { warn: (m) => app.log.warn(m), error: (d, m) => app.log.error(d, m) });
  let ready = true;
  const systemRepository = (tenant = config.tenant): Repository => new Repository(db, { tenant }, db);

  // Time spent in the server, for browser devtools and the benchmarks (client-side figures include the network and the client).
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Server-Timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
  });

  /** The county of a request: the configured one (tests may choose theirs with X-Test-Tenant). */
  const tenantOf = (request: FastifyRequest): string => {
    const testTenant = config.testTenantHeader ? request.headers['x-test-tenant'] : undefined;
    return typeof testTenant === 'string' ? testTenant : config.tenant;
  };
  const audit = new AuditTrail(db, {
    retentionDays: config.auditRetentionDays,
    onError: (err) => app.log.error({ err }, 'audit trail write failed'),
  });
  const authDeps = {
    db,
    // One keyring for the platform: token signing key derived from it (tokens survive restarts), TOTP secrets sealed with it.
    config: loadAuthConfig({ tenant: config.tenant, keyring: fieldKeys.keyring, overrides: { tenantFor: tenantOf } }),
    onSecurityEvent: (event: SecurityEvent) => audit.record(securityEventToAudit(event)),
  };
  const authenticator = createAuthenticator(authDeps);
  // Before any route: every route needs a bearer token unless it is declared public.
  registerAuthGuard(app, authenticator);
  // Every route as registered, for the route inventory (which routes are public) and the docs.
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, public: r.config?.public === true });
  });
  const access = new AccessResolver(db);

  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return ready ? { status: 'ready', database: db.kind } : reply.code(503).send({ status: 'closing' });
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  /** The caller's repository: their tenant, and their access policy compiled into every query. */
  const repositoryFor = async (request: FastifyRequest): Promise<Repository> => {
    // Public FHIR requests (the CapabilityStatement) reach the router without a caller: they may read nothing.
    if (!request.principal) return new Repository(db, { tenant: tenantOf(request), access: noAccess }, db);
    const principal = request.principal;
    const filter = await access.filterFor({ principal, breakGlassReason: breakGlassReasonOf(request) });
    return new Repository(db, { tenant: principal.tenant, access: filter }, db);
  };
  /** What the caller may see of a response body: identity fields masked per role. */
  const present = (request: FastifyRequest, body: Resource | RawJson): Resource | RawJson =>
    request.principal ? maskBody(body, masksFor(access.policy(), request.principal.roles)) : body;
  const bulk = new BulkRunner(db, { log: (msg, err) => app.log.error({ err }, msg) });
  const bulkOptions = {
    db,
    runner: bulk,
    // $import reads input files only from these directories (config.importDirs), never from the network.
    importRoots: config.importDirs.map((d) => resolve(d)),
  };
  await registerBulkRoutes(app, {
    ...bulkOptions,
    tenantFor: tenantOf,
    publicBaseUrl: config.publicBaseUrl,
    authorize: (request) => {
      if (!principalOf(request).roles.some((r) => r === 'admin' || r === 'system')) {
        throw forbidden('Bulk data files need administrator or system rights (管理员或系统账户)');
      }
    },
  });
  const operations = bulkOperations(bulkOptions);
  operations.set('$match', matchOperation);
  // SM2 electronic signatures; private keys are sealed with the platform keyring (followed through rotations).
  for (const [name, handler] of signatureOperations({ db, keyring: () => fieldKeys.keyring })) operations.set(name, handler);
  /** Every FHIR interaction with personal data goes to the audit trail (who, which residents, outcome). */
  const auditInteraction = (request: FastifyRequest, interaction: FhirInteraction): void => {
    const principal = request.principal;
    if (!principal) return;
    const rows = accessAuditInputs({
      ...interaction,
      principal,
      breakGlassReason: breakGlassReasonOf(request),
      purpose: headerOf(request, 'x-purpose-of-use'),
      sourceIp: request.ip,
    });
    for (const row of rows) audit.record(row);
  };
  await registerEmpiRoutes(app, {
    repositoryFor,
    operations,
    publicBaseUrl: config.publicBaseUrl,
    present,
    onInteraction: auditInteraction,
  });
  await registerFhirRoutes(app, {
    repositoryFor,
    publicBaseUrl: config.publicBaseUrl,
    operations,
    present,
    callerOf: (request) => {
      const p = request.principal;
      if (!p) return undefined;
      return {
        who: p.practitionerId ? `Practitioner/${p.practitionerId}` : p.patientId ? `Patient/${p.patientId}` : undefined,
        onBehalfOf: p.organizationId ? `Organization/${p.organizationId}` : undefined,
        display: p.username,
      };
    },
    onInteraction: auditInteraction,
  });
  /** Who did it, for audit rows of administrative actions. */
  const actorOf = (request: FastifyRequest) => {
    const p = principalOf(request);
    return { tenant: p.tenant, userId: p.subject, userDisplay: p.username, role: p.roles.join(','), sourceIp: request.ip };
  };
  // Sign-in, tokens and OAuth2 client credentials.
  await registerAuthRoutes(app, authDeps, authenticator);
  // Users, audit search and export, break-glass report, a resident's access log.
  await registerAdminRoutes(app, {
    db,
    audit,
    onChange: (request, detail) => audit.record({ ...actorOf(request), action: 'policy-change', detail }),
  });
  // HL7 v2 interface (docs/hl7v2.md): POST /hl7/v2 and the message log; applied with system rights for the caller's tenant.
  const hl7 = await registerHl7Interface(app, {
    db,
    keyring: () => fieldKeys.keyring,
    repositoryFor: systemRepository,
    baseUrl: config.publicBaseUrl ?? 'urn:yiwang',
    mapOptions: { identifierSystems: config.hl7IdentifierSystems },
    onError: (message, err) => app.log.error({ err }, message),
    onRawRead: (request, entry) =>
      audit.record({
        ...actorOf(request),
        action: 'read',
        resources: entry.resources.map((r) => r.reference),
        detail: `HL7 v2 message ${entry.id} (raw text)`,
      }),
  });
  // Events (transactional outbox → handlers), timed jobs, notifications and workflows: what modules build on.
  const logError = (message: string, err?: unknown) => app.log.error({ err }, message);
  const events = new EventDispatcher(db, {
    repositoryFor: systemRepository,
    log: logError,
    transport: await createEventTransport(config, logError),
  });
  await registerEventAdminRoutes(app, events);
  // FHIR R4 Subscriptions (rest-hook, websocket) for external systems, fed by the same events.
  const subscriptions = await registerSubscriptions(app, {
    db,
    systemRepository,
    repositoryFor,
    baseUrl: config.publicBaseUrl ?? 'urn:yiwang',
    log: logError,
  });
  events.subscribe(subscriptions.handler);
  const scheduler = new Scheduler(db, { clock, repositoryFor: systemRepository, log: logError });
  const notifier = new Notifier(db, clock, logError);
  notifier.addChannel(new LoggingChannel((m) => app.log.info(m)));
  await registerInboxRoutes(app, notifier);
  const workflows = new WorkflowEngine({ db, clock, scheduler, notifier, log: logError });
  const moduleContext: ModuleContext = {
    db,
    config,
    clock,
    log: app.log,
    systemRepository,
    repositoryFor,
    present,
    auditAccess: (request, entry) => {
      const patients = entry.patients?.length ? entry.patients : [undefined];
      for (const patient of patients) {
        audit.record({
          ...actorOf(request),
          action: entry.action,
          resources: entry.resources,
          patientId: patient?.replace(/^Patient\//, ''),
          detail: entry.detail,
        });
      }
    },
    events,
    scheduler,
    notifier,
    workflows,
    audit,
  };
  await workflows.register(app, moduleContext);
  for (const module of MODULE_LIST) await module.register(app, moduleContext);
  if (options.background !== false) {
    await events.start();
    scheduler.start();
  }
  // The web app (web/dist) at / and the module list its navigation comes from (GET /api/modules).
  await registerWebRoutes(app);
  // Resume jobs a previous run left unfinished.
  bulk.start();
  // Audit rows older than the retention period go once a day (the chain stays verifiable through its anchor).
  const purgeAudit = setInterval(() => {
    audit.purgeExpired().then(
      (n) => n && app.log.info(`audit: purged ${n} rows older than ${config.auditRetentionDays} days`),
      (err: unknown) => app.log.error({ err }, 'audit purge failed'),
    );
  }, 24 * 3600_000);
  purgeAudit.unref();
  // A new access-policy version coming into force is a security event (等保): recorded at start and when the date comes.
  let policyVersion = '';
  const notePolicy = (): void => {
    const policy = access.policy();
    if (policy.version === policyVersion) return;
    audit.record({
      tenant: config.tenant,
      action: 'policy-change',
      userId: 'system',
      detail: `access policy ${policy.version} in force (effective ${policy.effective})${policyVersion ? `, replacing ${policyVersion}` : ' at server start'}`,
    });
    policyVersion = policy.version;
  };
  notePolicy();
  const watchPolicy = setInterval(notePolicy, 3600_000);
  watchPolicy.unref();

  return {
    app,
    db,
    config,
    systemRepository,
    bulk,
    audit,
    auth: authenticator.service,
    access,
    routes,
    fieldKeys,
    hl7,
    clock,
    events,
    subscriptions,
    scheduler,
    notifier,
    workflows,
    async close() {
      ready = false;
      clearInterval(purgeAudit);
      clearInterval(watchPolicy);
      await scheduler.stop();
      await events.stop();
      await bulk.stop();
      await app.close();
      await audit.close();
      await db.close();
    },
  };
}
