#!/usr/bin/env node
/**
 * The `yiwang` command: serve | migrate | import FILE|DIR | export DIR.
 * Configuration comes from flags (--port, --host, --database-url, --data-dir, --memory, --tenant …)
 * and the environment (PORT, HOST, DATABASE_URL, YIWANG_DATA_DIR …).
 */
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { firstStartDemo, runDemoCommand } from './cli/demo.js';
import { exportAll } from './cli/export.js';
import { importPath } from './cli/import.js';
import { loadConfig } from './config.js';
import { startMllpServer, type MllpServer } from './platform/exchange/hl7v2/server.js';
import { openDatabase } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { runVerifyCommand } from './platform/audit/index.js';
import { runKeysCommand } from './cli/keys-command.js';

const USAGE = `Usage: yiwang <command> [options]

Commands:
  serve                 start the server (FHIR API at /fhir/R4)
  migrate               apply database migrations and exit
  import FILE|DIR       load FHIR Bundle JSON / NDJSON files
  export DIR            write one NDJSON file per resource type
  audit verify          check the audit trail's SM3 hash chain (exit 1 if broken)
  keys rotate           new field encryption key, re-encrypt stored values (keys reencrypt: resume;
                        keys retire ID: drop an unused old key; keys seal: encrypt rows written
                        before encryption was enabled; keys status: rows per key)
  demo                  load the synthetic demo county and its demo users (also on the first serve of an
                        empty database unless YIWANG_DEMO=0)

Options:
  --port N              HTTP port (PORT, default 8080)
  --host H              listen address (HOST, default 0.0.0.0)
  --database-url URL    PostgreSQL connection (DATABASE_URL); default: embedded PGlite
  --data-dir DIR        PGlite data directory (YIWANG_DATA_DIR, default ./data)
  --memory              keep the embedded database in memory
  --tenant NAME         county tenant (YIWANG_TENANT, default 'default')
  --types A,B           export: only these resource types
  --log-level LEVEL     pino log level (LOG_LEVEL, default info)
  --mllp-port N         HL7 v2 MLLP port (YIWANG_MLLP_PORT, default 2575; 0 = off)
  --mllp-host H         MLLP listen address (YIWANG_MLLP_HOST, default 127.0.0.1): the county's private
                        network only — MLLP has no authentication (docs/hl7v2.md)
  --key-file PATH       field encryption keys (YIWANG_KEY_FILE; default <data-dir>/field-keys.json)
  --seed N              demo: random seed (default 1; same seed → same county)
  --residents N         demo: number of residents (default 1000)
  --years N             demo: years of past care per resident (default 1; 5 ≈ 39 resources per resident)
  --today YYYY-MM-DD    demo: reference date of ages and visits (default today in China)
  --force               demo: write the county even if this seed and size are loaded already
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      tenant: { type: 'string' },
      types: { type: 'string' },
      'log-level': { type: 'string' },
      'mllp-port': { type: 'string' },
      'mllp-host': { type: 'string' },
      'key-file': { type: 'string' },
      'key-id': { type: 'string' },
      'base-url': { type: 'string' },
      'body-limit': { type: 'string' },
      seed: { type: 'string' },
      residents: { type: 'string' },
      years: { type: 'string' },
      today: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 1;
  }
  const config = loadConfig(values);
  switch (command) {
    case 'serve': {
      const yiwang = await buildApp(config);
      let closing = false;
      let mllp: MllpServer | undefined;
      const shutdown = (signal: string): void => {
        if (closing) return;
        closing = true;
        yiwang.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
        // MLLP first: its messages in progress are stored before the database closes.
        (mllp ? mllp.close() : Promise.resolve())
          .then(() => yiwang.close())
          .then(
            () => process.exit(0),
            (err) => {
              yiwang.app.log.error({ err }, 'error during shutdown');
              process.exit(1);
            },
          );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // An empty database gets the demo county before the server listens (nobody sees it half built).
      await firstStartDemo(yiwang);
      await yiwang.app.listen({ port: config.port, host: config.host });
      if (config.mllpPort > 0) {
        const log = yiwang.app.log;
        mllp = await startMllpServer({
          service: yiwang.hl7,
          tenant: config.tenant,
          port: config.mllpPort,
          host: config.mllpHost,
          log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (err, m) => log.error({ err }, m) },
        });
      }
      return -1;
    }
    case 'migrate': {
      const db = await openDatabase(config);
      const n = await migrate(db, (m) => process.stderr.write(m + '\n'));
      await db.close();
      process.stdout.write(`${n} migration(s) applied\n`);
      return 0;
    }
    case 'import': {
      if (!target) throw new Error('import needs a FILE or DIR');
      const yiwang = await buildApp({ ...config, logLevel: 'warn' });
      const summary = await importPath(yiwang.systemRepository(), target, config.publicBaseUrl ?? 'urn:yiwang');
      await yiwang.close();
      process.stdout.write(`imported ${summary.resources} resources from ${summary.files} file(s)\n`);
      for (const [type, n] of Object.entries(summary.byType).sort()) process.stdout.write(`  ${type.padEnd(28)} ${n}\n`);
      for (const e of summary.errors.slice(0, 50)) process.stdout.write(`  error ${e.file}${e.line ? ':' + e.line : ''}: ${e.message}\n`);
      if (summary.errors.length > 50) process.stdout.write(`  … ${summary.errors.length - 50} more errors\n`);
      return summary.errors.length ? 2 : 0;
    }
    case 'export': {
      if (!target) throw new Error('export needs a DIR');
      const yiwang = await buildApp({ ...config, logLevel: 'warn' });
      const counts = await exportAll(yiwang.systemRepository(), target, values.types?.split(','));
      await yiwang.close();
      for (const [type, n] of Object.entries(counts)) process.stdout.write(`  ${type.padEnd(28)} ${n}\n`);
      return 0;
    }
    case 'demo':
      return runDemoCommand(config, values);
    case 'audit': {
      if (target !== 'verify') throw new Error('usage: yiwang audit verify [--tenant NAME]');
      const db = await openDatabase(config);
      await migrate(db);
      const result = await runVerifyCommand(db, values.tenant, (line) => process.stdout.write(line + '\n'));
      await db.close();
      return result.ok ? 0 : 1;
    }
    case 'keys':
      return runKeysCommand(config, target, positionals[2], values['key-id']);
    default:
      process.stderr.write(`Unknown command '${command}'\n\n${USAGE}`);
      return 1;
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`yiwang: ${err.message}\n`);
    process.exit(1);
  },
);
