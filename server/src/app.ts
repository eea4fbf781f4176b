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
import { registerFhirRoutes } from './platform/fhir/http.js';
import { Repository } from './platform/fhir/repository.js';
import { addResourceCheck } from './platform/fhir/validate.js';
import { checkResidentIdNumbers, matchOperation } from './platform/identity/empi/index.js';
import { loadAuthConfig, registerAuthRoutes } from './platform/auth/index.js';
import { AuditTrail, securityEventToAudit } from './platform/audit/index.js';
import { bulkOperations, registerBulkRoutes } from './platform/bulk/routes.js';
import { BulkRunner } from './platform/bulk/runner.js';

export interface YiwangApp {
  app: FastifyInstance;
  db: Database;
  config: Config;
  /** A repository with full access for the given tenant (system jobs, CLI import/export). */
  systemRepository(tenant?: string): Repository;
  /** The background runner of FHIR Bulk Data jobs ($export, $import). */
  bulk: BulkRunner;
  /** The tamper-evident audit trail (security events today; data access once access control is wired in). */
  audit: AuditTrail;
  close(): Promise<void>;
}

export async function buildApp(config: Config, options: { logger?: boolean } = {}): Promise<YiwangApp> {
  loadDefinitions();
  addResourceCheck('Patient', checkResidentIdNumbers);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: config.memory });
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // While shutting down: new requests get 503, idle keep-alive connections close, in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await migrate(db, (msg) => app.log.info(msg));
  let ready = true;
  const systemRepository = (tenant = config.tenant): Repository => new Repository(db, { tenant }, db);

  // Time spent in the server, for browser devtools and the benchmarks (client-side figures include the network and the client).
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Server-Timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return ready ? { status: 'ready', database: db.kind } : reply.code(503).send({ status: 'closing' });
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  /** The county of a request: the configured one (tests may choose theirs with X-Test-Tenant). */
  const tenantOf = (request: FastifyRequest): string => {
    const testTenant = config.testTenantHeader ? request.headers['x-test-tenant'] : undefined;
    return typeof testTenant === 'string' ? testTenant : config.tenant;
  };
  const repositoryFor = (request: FastifyRequest): Repository => systemRepository(tenantOf(request));
  const bulk = new BulkRunner(db, { log: (msg, err) => app.log.error({ err }, msg) });
  const audit = new AuditTrail(db, { onError: (err) => app.log.error({ err }, 'audit trail write failed') });
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
  });
  const operations = bulkOperations(bulkOptions);
  operations.set('$match', matchOperation);
  await registerFhirRoutes(app, {
    repositoryFor,
    publicBaseUrl: config.publicBaseUrl,
    operations,
  });
  // Sign-in, tokens and OAuth2 client credentials. The FHIR routes do not require a token yet: the access
  // policies (platform/access) are enforced per principal once they are wired in.
  await registerAuthRoutes(app, {
    db,
    config: loadAuthConfig({ tenant: config.tenant, overrides: { tenantFor: tenantOf } }),
    onSecurityEvent: (event) => audit.record(securityEventToAudit(event)),
  });
  // Resume jobs a previous run left unfinished.
  bulk.start();

  return {
    app,
    db,
    config,
    systemRepository,
    bulk,
    audit,
    async close() {
      ready = false;
      await bulk.stop();
      await app.close();
      await audit.close();
      await db.close();
    },
  };
}
