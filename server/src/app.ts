/**
 * Builds the Yiwang server: the platform (record store, health probes) plus the list of modules.
 * One process, one port: FHIR API, web app and module routes share it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { loadDefinitions } from './platform/fhir/definitions.js';
import { registerFhirRoutes } from './platform/fhir/http.js';
import { Repository } from './platform/fhir/repository.js';

export interface YiwangApp {
  app: FastifyInstance;
  db: Database;
  config: Config;
  /** A repository with full access for the given tenant (system jobs, CLI import/export). */
  systemRepository(tenant?: string): Repository;
  close(): Promise<void>;
}

export async function buildApp(config: Config, options: { logger?: boolean } = {}): Promise<YiwangApp> {
  loadDefinitions();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: config.memory });
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Deep JSON is rejected by our own parser; Fastify's default would answer with its own format.
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

  await registerFhirRoutes(app, {
    repositoryFor: (request) => {
      const testTenant = config.testTenantHeader ? request.headers['x-test-tenant'] : undefined;
      return systemRepository(typeof testTenant === 'string' ? testTenant : undefined);
    },
    publicBaseUrl: config.publicBaseUrl,
  });

  return {
    app,
    db,
    config,
    systemRepository,
    async close() {
      ready = false;
      await app.close();
      await db.close();
    },
  };
}
