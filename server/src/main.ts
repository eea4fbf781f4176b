#!/usr/bin/env node
/**
 * The `yiwang` command: serve | migrate | import FILE|DIR | export DIR.
 * Configuration comes from flags (--port, --host, --database-url, --data-dir, --memory, --tenant …)
 * and the environment (PORT, HOST, DATABASE_URL, YIWANG_DATA_DIR …).
 */
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { exportAll } from './cli/export.js';
import { importPath } from './cli/import.js';
import { loadConfig } from './config.js';
import { openDatabase } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { runVerifyCommand } from './platform/audit/index.js';

const USAGE = `Usage: yiwang <command> [options]

Commands:
  serve                 start the server (FHIR API at /fhir/R4)
  migrate               apply database migrations and exit
  import FILE|DIR       load FHIR Bundle JSON / NDJSON files
  export DIR            write one NDJSON file per resource type
  audit verify          check the audit trail's SM3 hash chain (exit 1 if broken)

Options:
  --port N              HTTP port (PORT, default 8080)
  --host H              listen address (HOST, default 0.0.0.0)
  --database-url URL    PostgreSQL connection (DATABASE_URL); default: embedded PGlite
  --data-dir DIR        PGlite data directory (YIWANG_DATA_DIR, default ./data)
  --memory              keep the embedded database in memory
  --tenant NAME         county tenant (YIWANG_TENANT, default 'default')
  --types A,B           export: only these resource types
  --log-level LEVEL     pino log level (LOG_LEVEL, default info)
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
      'base-url': { type: 'string' },
      'body-limit': { type: 'string' },
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
      const shutdown = (signal: string): void => {
        if (closing) return;
        closing = true;
        yiwang.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
        yiwang.close().then(
          () => process.exit(0),
          (err) => {
            yiwang.app.log.error({ err }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      await yiwang.app.listen({ port: config.port, host: config.host });
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
    case 'audit': {
      if (target !== 'verify') throw new Error('usage: yiwang audit verify [--tenant NAME]');
      const db = await openDatabase(config);
      await migrate(db);
      const result = await runVerifyCommand(db, values.tenant, (line) => process.stdout.write(line + '\n'));
      await db.close();
      return result.ok ? 0 : 1;
    }
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
