/**
 * The `yiwang` command as an operator uses it: migrate, import (bundles and NDJSON with bad lines),
 * export, and serve with health probes and a graceful shutdown that finishes in-flight requests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DERIVED_TYPES, exactPart } from './helpers/derived.js';
import { hasSharedData, sharedPath } from './helpers/shared-data.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
// tsx as a loader inside node itself, so signals reach the server process directly.
const NODE_ARGS = ['--import', 'tsx', MAIN];

function yiwang(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('yiwang CLI', () => {
  it('prints usage and rejects unknown commands', () => {
    expect(yiwang(['--help']).out).toContain('yiwang <command>');
    const bad = yiwang(['frobnicate']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("Unknown command 'frobnicate'");
  });

  it.skipIf(!hasSharedData)(
    'imports bundles and NDJSON (reporting bad lines), then exports NDJSON per type',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'yiwang-cli-'));
      const dataDir = join(dir, 'db');
      expect(yiwang(['migrate', '--data-dir', dataDir]).out).toMatch(/[1-9]\d* migration\(s\) applied/);
      expect(yiwang(['migrate', '--data-dir', dataDir]).out).toMatch(/0 migration\(s\) applied/);
      const bundle = readdirSync(sharedPath('synthea', 'bundles'))[0];
      const expected = JSON.parse(readFileSync(sharedPath('synthea', 'bundles', bundle), 'utf8')).entry.length;
      const ndjson = join(dir, 'extra.ndjson');
      writeFileSync(
        ndjson,
        [
          JSON.stringify({ resourceType: 'Patient', id: 'nd-1', name: [{ family: '周' }] }),
          '{"resourceType": "Patient", broken',
          JSON.stringify({ resourceType: 'Patient', id: 'nd-2', gender: 'robot' }),
          JSON.stringify({ resourceType: 'Patient', id: 'nd-3', name: [{ family: '吴' }] }),
        ].join('\n') + '\n',
      );
      const imported = yiwang(['import', sharedPath('synthea', 'bundles', bundle), '--data-dir', dataDir]);
      expect(imported.code, imported.err).toBe(0);
      expect(imported.out).toContain(`imported ${expected} resources`);
      const nd = yiwang(['import', ndjson, '--data-dir', dataDir]);
      expect(nd.code).toBe(2);
      expect(nd.out).toContain('imported 2 resources');
      expect(nd.out).toMatch(/extra\.ndjson:2: Malformed JSON/);
      expect(nd.out).toMatch(/extra\.ndjson:3: .*robot/);
      const out = join(dir, 'export');
      const exported = yiwang(['export', out, '--data-dir', dataDir]);
      expect(exported.code).toBe(0);
      const patients = readFileSync(join(out, 'Patient.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(patients.map((p) => p.id)).toEqual(expect.arrayContaining(['nd-1', 'nd-3']));
      expect(patients).toHaveLength(3);
      // Every imported resource once (and the two good NDJSON Patients); the modules' derived records besides.
      const perType: Record<string, number> = {};
      for (const f of readdirSync(out)) perType[f.replace(/\.ndjson$/, '')] = readFileSync(join(out, f), 'utf8').trim().split('\n').length;
      const total = Object.values(exactPart(perType)).reduce((a, b) => a + b, 0);
      const inBundle = JSON.parse(readFileSync(sharedPath('synthea', 'bundles', bundle), 'utf8')).entry.filter(
        (e: { resource: { resourceType: string } }) => !DERIVED_TYPES.includes(e.resource.resourceType),
      ).length;
      expect(total).toBe(inBundle + 2);
    },
    240_000,
  );

  it('verifies the audit trail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yiwang-audit-'));
    const ok = yiwang(['audit', 'verify', '--data-dir', join(dir, 'db')]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/audit trail OK/);
    expect(yiwang(['audit', 'frobnicate', '--data-dir', join(dir, 'db')]).code).toBe(1);
  }, 120_000);

  it('serves with health probes and finishes in-flight requests on SIGTERM', async () => {
    const port = 18000 + Math.floor(Math.random() * 1000);
    const child = spawn(process.execPath, [...NODE_ARGS, 'serve', '--memory', '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, LOG_LEVEL: 'warn', YIWANG_ADMIN_PASSWORD: 'Qi-Dong-2026!', YIWANG_DEMO: '0', YIWANG_MLLP_PORT: '0' },
    });
    const base = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 900 && !up; i++) {
      up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up).toBe(true);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', database: 'pglite' });
    const meta = await (await fetch(`${base}/fhir/R4/metadata`)).json();
    expect(meta.fhirVersion).toBe('4.0.1');
    // The first start created the administrator from YIWANG_ADMIN_PASSWORD; nothing else answers without a token.
    expect((await fetch(`${base}/fhir/R4/Patient`)).status).toBe(401);
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'Qi-Dong-2026!' }),
    });
    expect(login.status).toBe(200);
    const authorization = `Bearer ${(await login.json()).access_token}`;
    // A large transaction in flight when the signal arrives must still complete.
    const entry = Array.from({ length: 3000 }, () => ({
      resource: { resourceType: 'Patient', active: true },
      request: { method: 'POST', url: 'Patient' },
    }));
    const inFlight = fetch(`${base}/fhir/R4`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
    });
    // Let the body arrive and processing start (3 000 creates on PGlite take seconds).
    await new Promise((r) => setTimeout(r, 700));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect((await res.json()).entry).toHaveLength(3000);
    expect(await exited).toBe(0);
  }, 120_000);
});
