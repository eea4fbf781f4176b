/** Configuration from command-line flags and the environment (flags win). */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  memory: boolean;
  tenant: string;
  bodyLimit: number;
  logLevel: string;
  publicBaseUrl?: string;
  mllpPort: number;
  /** Directories `$import` may read input files from (YIWANG_IMPORT_DIRS, ':'-separated; default <data-dir>/import). */
  importDirs: string[];
  /** Tests only: take the tenant from the X-Test-Tenant header so each test has its own data. Never set in production. */
  testTenantHeader: boolean;
}

export function loadConfig(flags: Record<string, string | boolean | undefined> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const str = (flag: string, envName: string): string | undefined => {
    const v = flags[flag];
    if (typeof v === 'string') return v;
    return env[envName] || undefined;
  };
  const port = Number(str('port', 'PORT') ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port '${str('port', 'PORT')}'`);
  const bodyLimit = Number(str('body-limit', 'YIWANG_BODY_LIMIT') ?? 64 * 1024 * 1024);
  return {
    port,
    host: str('host', 'HOST') ?? '0.0.0.0',
    databaseUrl: str('database-url', 'DATABASE_URL'),
    dataDir: str('data-dir', 'YIWANG_DATA_DIR') ?? './data',
    memory: flags.memory === true || env.YIWANG_MEMORY === '1',
    tenant: str('tenant', 'YIWANG_TENANT') ?? 'default',
    bodyLimit,
    logLevel: str('log-level', 'LOG_LEVEL') ?? 'info',
    publicBaseUrl: str('base-url', 'YIWANG_BASE_URL'),
    mllpPort: Number(str('mllp-port', 'YIWANG_MLLP_PORT') ?? 2575),
    importDirs: (env.YIWANG_IMPORT_DIRS?.split(':').filter(Boolean) ?? []).concat([
      `${str('data-dir', 'YIWANG_DATA_DIR') ?? './data'}/import`,
    ]),
    testTenantHeader: env.YIWANG_TEST_TENANT_HEADER === '1' && env.NODE_ENV !== 'production',
  };
}
