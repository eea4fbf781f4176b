/**
 * A real Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) for tests: its own process on a free loopback port, storage
 * in a temporary directory, HTTP on 127.0.0.1 only, DICOM network off, authentication on with a generated password,
 * the DICOMweb plugin from its Debian path. `startOrthanc()` waits until it answers; `stop()` ends it and removes the
 * directory. `modify()` makes test files with a resident's demographics from the public pydicom samples (Orthanc's
 * /modify answers the new file without storing it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = process.env.ORTHANC_BIN ?? '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = process.env.ORTHANC_DICOMWEB_PLUGIN ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const PYDICOM = new URL('../../../../shared/data/dicom/pydicom/', import.meta.url).pathname;

export interface TestOrthanc {
  url: string;
  username: string;
  password: string;
  /** Basic-auth fetch against Orthanc's own REST API (tests only: Yiwang's users never reach it). */
  fetch(path: string, init?: { method?: string; body?: Buffer | string; headers?: Record<string, string> }): Promise<Response>;
  /** A copy of a sample file with the given DICOM tags replaced (e.g. PatientName, PatientBirthDate, StudyInstanceUID). */
  modify(file: string, replace: Record<string, string>, remove?: string[]): Promise<Buffer>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function orthancInstalled(): boolean {
  return existsSync(ORTHANC_BIN) && existsSync(DICOMWEB_PLUGIN);
}

export async function startOrthanc(): Promise<TestOrthanc> {
  if (!orthancInstalled())
    throw new Error(
      `Orthanc is not installed (${ORTHANC_BIN}, ${DICOMWEB_PLUGIN}): apt-get install -y orthanc orthanc-dicomweb (.ci/run does it)`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'yiwang-orthanc-'));
  const port = await freePort();
  const username = 'yiwang';
  const password = randomBytes(18).toString('base64url');
  const config = {
    Name: 'yiwang-test',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: port,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [username]: password },
    DicomServerEnabled: false,
    DicomPort: 0,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
    HttpThreadsCount: 8,
    ConcurrentJobs: 1,
    SaveJobs: false,
    StableAge: 1,
  };
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config));
  const child: ChildProcess = spawn(ORTHANC_BIN, [join(dir, 'orthanc.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const call = (path: string, init: { method?: string; body?: Buffer | string; headers?: Record<string, string> } = {}) =>
    fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: auth, ...(init.headers ?? {}) },
      ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : new Blob([new Uint8Array(init.body)]) } : {}),
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${log}`);
    try {
      if ((await call('/system')).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Orthanc did not answer within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    username,
    password,
    fetch: call,
    async modify(file, replace, remove = []) {
      const path = file.startsWith('/') ? file : join(PYDICOM, file);
      const stored = await call('/instances', { method: 'POST', body: readFileSync(path) });
      if (!stored.ok) throw new Error(`Orthanc refused ${file}: ${await stored.text()}`);
      const { ID } = (await stored.json()) as { ID: string };
      const res = await call(`/instances/${ID}/modify`, {
        method: 'POST',
        body: JSON.stringify({ Replace: { SpecificCharacterSet: 'ISO_IR 192', ...replace }, Remove: remove, Force: true }),
      });
      if (!res.ok) throw new Error(`Orthanc could not modify ${file}: ${await res.text()}`);
      const out = Buffer.from(await res.arrayBuffer());
      // The sample itself must not stay in the archive the test inspects.
      await (await call(`/instances/${ID}`, { method: 'DELETE' })).arrayBuffer();
      return out;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh DICOM UID under the 2.25 (UUID) root, so each test's studies are its own. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;
}
