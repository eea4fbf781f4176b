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
  /** HL7 v2 MLLP listener port (YIWANG_MLLP_PORT, default 2575; 0 disables it). */
  mllpPort: number;
  /**
   * MLLP listen address (YIWANG_MLLP_HOST, default 127.0.0.1). MLLP has no authentication: set it to the
   * address on the county's private network that the hospitals reach, never a public one (docs/hl7v2.md).
   */
  mllpHost: string;
  /**
   * Identifier systems of HL7 v2 assigning authorities (CX-4 namespace → system URI), from
   * YIWANG_HL7_IDENTIFIER_SYSTEMS as JSON, e.g. {"NCRMYY":"urn:oid:1.2.156.112604.1.2.1"}.
   */
  hl7IdentifierSystems: Record<string, string>;
  /** Directories `$import` may read input files from (YIWANG_IMPORT_DIRS, ':'-separated; default <data-dir>/import). */
  importDirs: string[];
  /** Key file of the field encryption keys (YIWANG_KEY_FILE); see docs/encryption-at-rest.md. */
  keyFile?: string;
  /** The key file's JSON, verbatim or base64 (YIWANG_FIELD_KEYS), when no key file is given. */
  fieldKeys?: string;
  /** Days the audit trail keeps rows (YIWANG_AUDIT_RETENTION_DAYS, default and minimum 180 = 6 months). */
  auditRetentionDays: number;
  /** Where events travel between the outbox and the handlers: 'in-process' (default) or 'nats' (JetStream). */
  eventsTransport: 'in-process' | 'nats';
  /** NATS server(s) for the 'nats' transport (YIWANG_NATS_URL, default nats://127.0.0.1:4222). */
  natsUrl: string;
  /**
   * The imaging archive (Orthanc with its DICOMweb plugin) behind /dicomweb: YIWANG_ORTHANC_URL (a private address; never
   * exposed), YIWANG_ORTHANC_USERNAME / YIWANG_ORTHANC_PASSWORD. Unset: the imaging routes answer 503 (docs/imaging.md).
   */
  orthanc?: { url: string; username?: string; password?: string };
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
  const mllpPort = Number(str('mllp-port', 'YIWANG_MLLP_PORT') ?? 2575);
  if (!Number.isInteger(mllpPort) || mllpPort < 0 || mllpPort > 65535)
    throw new Error(`Invalid MLLP port '${str('mllp-port', 'YIWANG_MLLP_PORT')}'`);
  const bodyLimit = Number(str('body-limit', 'YIWANG_BODY_LIMIT') ?? 64 * 1024 * 1024);
  const auditRetentionDays = Number(env.YIWANG_AUDIT_RETENTION_DAYS ?? 180);
  if (!Number.isInteger(auditRetentionDays) || auditRetentionDays < 180) {
    throw new Error(`YIWANG_AUDIT_RETENTION_DAYS must be a whole number of days, at least 180 (got '${env.YIWANG_AUDIT_RETENTION_DAYS}')`);
  }
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
    mllpPort,
    mllpHost: str('mllp-host', 'YIWANG_MLLP_HOST') ?? '127.0.0.1',
    hl7IdentifierSystems: parseIdentifierSystems(env.YIWANG_HL7_IDENTIFIER_SYSTEMS),
    importDirs: (env.YIWANG_IMPORT_DIRS?.split(':').filter(Boolean) ?? []).concat([
      `${str('data-dir', 'YIWANG_DATA_DIR') ?? './data'}/import`,
    ]),
    keyFile: str('key-file', 'YIWANG_KEY_FILE'),
    fieldKeys: env.YIWANG_FIELD_KEYS || undefined,
    auditRetentionDays,
    eventsTransport: parseTransport(str('events-transport', 'YIWANG_EVENTS_TRANSPORT')),
    natsUrl: str('nats-url', 'YIWANG_NATS_URL') ?? 'nats://127.0.0.1:4222',
    ...(str('orthanc-url', 'YIWANG_ORTHANC_URL')
      ? {
          orthanc: {
            url: str('orthanc-url', 'YIWANG_ORTHANC_URL') as string,
            username: env.YIWANG_ORTHANC_USERNAME || undefined,
            password: env.YIWANG_ORTHANC_PASSWORD || undefined,
          },
        }
      : {}),
    testTenantHeader: env.YIWANG_TEST_TENANT_HEADER === '1' && env.NODE_ENV !== 'production',
  };
}

function parseTransport(value: string | undefined): Config['eventsTransport'] {
  if (value === undefined || value === 'in-process') return 'in-process';
  if (value === 'nats') return 'nats';
  throw new Error(`YIWANG_EVENTS_TRANSPORT must be 'in-process' or 'nats' (got '${value}')`);
}

function parseIdentifierSystems(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`YIWANG_HL7_IDENTIFIER_SYSTEMS is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const ok =
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' && /^\S+$/.test(v));
  if (!ok) throw new Error('YIWANG_HL7_IDENTIFIER_SYSTEMS must map namespaces to system URIs: {"NCRMYY":"urn:oid:…"}');
  return value as Record<string, string>;
}
