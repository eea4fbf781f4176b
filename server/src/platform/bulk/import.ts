/**
 * `$import` (Bulk Data import proposal): a Parameters resource names NDJSON inputs by URL — a local
 * file the server can read (`file:///…` or an absolute path under an allowed directory; never the
 * network) — or NDJSON is posted as the body (`POST /fhir/R4/$import-ndjson`). The runner loads each
 * input in chunks; every chunk's error lines and the checkpoint (input, line) commit in the chunk's
 * own transaction, so an interrupted import resumes after the last committed line.
 */
import { createReadStream, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.js';
import type { Database } from '../db/database.js';
import { modelFor, type Repository } from '../fhir/repository.js';
import { isResourceType } from '../fhir/validate.js';
import { NDJSON_FORMATS } from './export.js';
import { errorOutcome, loadChunk, loadPhases, StopLoad, type NdjsonLine } from './ndjson.js';
import { protectionFor } from '../protect/index.js';
import { readFile, saveCheckpoint, uploadSealing, writePart, type BulkJob } from './store.js';

export interface ImportInput {
  type?: string;
  /** A local file path, or `upload:N` for NDJSON stored with the job (bulk_file `input-N.ndjson`). */
  url: string;
}

export interface ImportParams {
  inputs: ImportInput[];
}

export interface ImportCheckpoint {
  input?: number;
  line?: number;
  loaded?: Record<string, number>;
  errors?: number;
}

function part(p: ParametersParameter, name: string): ParametersParameter | undefined {
  return p.part?.find((x) => x.name === name);
}

/** The local file an input URL names, if it lies under one of `roots`; 400 otherwise. */
export function localPath(url: string, roots: string[], where: string): string {
  let path: string;
  if (url.startsWith('file:')) {
    try {
      path = fileURLToPath(url);
    } catch {
      throw badRequest(`Invalid file URL '${url}'`, where);
    }
  } else if (isAbsolute(url)) path = url;
  else throw badRequest(`Input url '${url}' must be a file: URL or an absolute path on the server (no network fetches)`, where);
  path = resolve(path);
  if (!roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep))) {
    throw badRequest(`Input file '${path}' is outside the directories the server imports from`, where);
  }
  let ok: boolean;
  try {
    ok = statSync(path).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw badRequest(`Input file '${path}' does not exist or is not a file`, where);
  return path;
}

/** Checks a kick-off Parameters resource; throws 400 OperationOutcomes naming the parameter. */
export function parseImportRequest(body: unknown, roots: string[]): ImportParams {
  const params = body as Parameters | undefined;
  if (!params || typeof params !== 'object' || params.resourceType !== 'Parameters') {
    throw badRequest('$import takes a Parameters resource', 'resourceType');
  }
  const list = Array.isArray(params.parameter) ? params.parameter : [];
  const format = list.find((p) => p.name === 'inputFormat');
  const fmt = format?.valueCode ?? format?.valueString;
  if (fmt !== undefined && !NDJSON_FORMATS.includes(fmt)) {
    throw badRequest(`inputFormat '${fmt}' is not supported; use application/fhir+ndjson`, 'Parameters.parameter.inputFormat');
  }
  const inputs: ImportInput[] = [];
  list.forEach((p, i) => {
    if (p.name !== 'input') return;
    const where = `Parameters.parameter[${i}]`;
    const type = part(p, 'type');
    const typeCode = type?.valueCode ?? type?.valueString;
    if (typeCode !== undefined && !isResourceType(typeCode)) throw badRequest(`Unknown resource type '${typeCode}'`, `${where}.part.type`);
    const urlPart = part(p, 'url');
    const url = urlPart?.valueUrl ?? urlPart?.valueUri ?? urlPart?.valueString;
    if (!url) throw badRequest('Every input needs a url part', `${where}.part.url`);
    inputs.push({ type: typeCode, url: localPath(url, roots, `${where}.part.url`) });
  });
  if (!inputs.length) throw badRequest('$import needs at least one input parameter', 'Parameters.parameter');
  return { inputs };
}

async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const c of chunks) {
    const parts = (rest + c).split('\n');
    rest = parts.pop() as string;
    for (const p of parts) yield p.replace(/\r$/, '');
  }
  if (rest) yield rest.replace(/\r$/, '');
}

function inputLines(repo: Repository, job: BulkJob, input: ImportInput): AsyncIterable<string> {
  if (input.url.startsWith('upload:')) {
    const { open } = uploadSealing(protectionFor(repo.db).keyring, job.id);
    return splitLines(readFile(repo.db, job, `input-${input.url.slice(7)}.ndjson`, open));
  }
  return createInterface({ input: createReadStream(input.url, 'utf8'), crlfDelay: Infinity });
}

/**
 * Planner statistics during a large load. A county loaded into a fresh database starts with empty statistics, and
 * the resident index's statements during the load of Patients are planned from them: with thousands of rows and
 * plans made for empty tables they visited every resident of the tenant per write, so an import slowed down
 * quadratically (131 resources/s at 24 000 resources). ANALYZE of Patient and the resident index's tables refreshes
 * the statistics; it runs when the number of Patients loaded by the job has doubled since the last time (log n times,
 * each a sampled pass), on PostgreSQL only. Other types are only written during the load (nothing plans a query on
 * them then): their table is analysed once, when the job has loaded its input of that type, so the first searches
 * after the load have statistics. (Analysing them at each doubling as well took 15–18 % of their load time.)
 */
export class LoadStatistics {
  private readonly next = new Map<string, number>();
  private readonly analysed = new Set<string>();
  constructor(
    private readonly db: Partial<Pick<Database, 'kind'>> & Pick<Database, 'query'>,
    private readonly first = 500,
  ) {}

  /** After a committed chunk: the job's counts by type so far. */
  async loaded(counts: Record<string, number>): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    const n = counts.Patient ?? 0;
    if (n < (this.next.get('Patient') ?? this.first)) return;
    await this.db.query(`ANALYZE ${modelFor('Patient').table}, empi_block, empi_link, empi_person`);
    this.next.set('Patient', 2 * n);
  }

  /** After the last chunk of an input: its type's table, once per job and type. */
  async inputDone(type: string | undefined, counts: Record<string, number>): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    const types = type ? [type] : Object.keys(counts);
    const due = types.filter((t) => (counts[t] ?? 0) >= this.first && !this.analysed.has(t));
    if (!due.length) return;
    for (const t of due) this.analysed.add(t);
    await this.db.query(`ANALYZE ${due.map((t) => modelFor(t).table).join(', ')}`);
  }
}

/** Runs (or resumes) an import job; false when asked to stop before the end. */
export async function runImport(
  repo: Repository,
  job: BulkJob,
  options: { chunkSize: number; shouldStop: () => boolean; afterChunk?: () => void },
): Promise<boolean> {
  const params = job.params as unknown as ImportParams;
  let state: Required<ImportCheckpoint> = { input: 0, line: 0, loaded: {}, errors: 0, ...(job.checkpoint as ImportCheckpoint) };
  const statistics = new LoadStatistics(repo.db as Database);
  for (let i = state.input; i < params.inputs.length; i++) {
    const input = params.inputs[i];
    const skip = state.input === i ? state.line : 0;
    const source = input.url.startsWith('upload:') ? `input ${i}` : input.url;
    const commitChunk = async (lines: NdjsonLine[], last: boolean): Promise<void> => {
      const result = await loadChunk(repo, lines, {
        expectedType: input.type,
        state,
        commit: async (tx, s, upToLine, loaded, errors) => {
          // The chunk and its checkpoint commit together, so a commit lost in a crash is only loaded again on
          // resume: no need to wait for the WAL flush (the PostgreSQL setting for this transaction only).
          if ((repo.db as Partial<Database>).kind === 'postgres') await tx.db.query('SET LOCAL synchronous_commit = off');
          await writePart(
            tx.db,
            job,
            'error.ndjson',
            'OperationOutcome',
            errors.map((e) => JSON.stringify(errorOutcome(e, source))),
          );
          const counts = { ...s.loaded };
          for (const r of loaded) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
          const end = last && upToLine === (lines.length ? lines[lines.length - 1].line : upToLine);
          const next = { input: end ? i + 1 : i, line: end ? 0 : upToLine, loaded: counts, errors: s.errors + errors.length };
          const total = Object.values(counts).reduce((a, b) => a + b, 0);
          const progress = `input ${i + 1} of ${params.inputs.length}, line ${upToLine}: ${total} resources loaded, ${next.errors} errors`;
          if (!(await saveCheckpoint(tx.db, job, next, progress))) throw new StopLoad('job cancelled');
          return next;
        },
      });
      state = result.state;
      const t = performance.now();
      await statistics.loaded(state.loaded);
      loadPhases.add('analyze', performance.now() - t);
      options.afterChunk?.();
    };
    let lineNo = 0;
    let chunk: NdjsonLine[] = [];
    const inputStart = performance.now();
    loadPhases.take();
    for await (const text of inputLines(repo, job, input)) {
      lineNo++;
      if (lineNo <= skip) continue;
      chunk.push({ line: lineNo, text });
      if (chunk.length >= options.chunkSize) {
        if (options.shouldStop()) return false;
        await commitChunk(chunk, false);
        chunk = [];
      }
    }
    if (options.shouldStop()) return false;
    await commitChunk(chunk.length ? chunk : [{ line: lineNo, text: '' }], true);
    const t = performance.now();
    await statistics.inputDone(input.type, state.loaded);
    loadPhases.add('analyze', performance.now() - t);
    if (process.env.YIWANG_BULK_PROFILE) {
      const elapsed = Math.round(performance.now() - inputStart);
      console.error(
        `$import ${input.type ?? source}: ${lineNo - skip} lines in ${elapsed} ms, phases ${JSON.stringify(loadPhases.take())}`,
      );
    }
  }
  return true;
}
