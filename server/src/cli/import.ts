/**
 * `yiwang import FILE|DIR`: loads FHIR Bundle JSON (transaction, batch, collection, searchset), single
 * resources and NDJSON into the store. Transaction bundles are atomic; NDJSON lines are written in
 * chunks by the loader `$import` uses, and a bad line is reported with its number and reason without
 * stopping the others.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { loadChunk, writeResources, type NdjsonLine } from '../platform/bulk/ndjson.js';
import { FhirError } from '../platform/fhir/outcomes.js';
import type { Repository } from '../platform/fhir/repository.js';
import { processBundle } from '../platform/fhir/transaction.js';
import { validateIncoming } from '../platform/fhir/validate.js';
import { Progress } from './progress.js';

export interface ImportSummary {
  files: number;
  resources: number;
  byType: Record<string, number>;
  errors: { file: string; line?: number; message: string }[];
}

const CHUNK = 500;

function listFiles(target: string): string[] {
  if (statSync(target).isDirectory()) {
    return readdirSync(target)
      .filter((f) => /\.(json|ndjson)$/i.test(f))
      .sort()
      .map((f) => join(target, f));
  }
  return [target];
}

function count(summary: ImportSummary, type: string, n = 1): void {
  summary.byType[type] = (summary.byType[type] ?? 0) + n;
  summary.resources += n;
}

function message(err: unknown): string {
  return err instanceof FhirError ? err.message : (err as Error).message;
}

/** Writes resources keeping their ids (update-or-create), in one transaction per chunk. */
async function writeChunk(repo: Repository, resources: Resource[]): Promise<void> {
  const valid = resources.map((r) => validateIncoming(r));
  await repo.withTransaction((tx) => writeResources(tx, valid));
}

async function importNdjson(repo: Repository, file: string, summary: ImportSummary, progress: Progress): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let chunk: NdjsonLine[] = [];
  // The same chunk loader as $import: update-or-create by id, multi-row INSERTs, bad lines reported.
  const flush = async (): Promise<void> => {
    if (!chunk.length) return;
    const result = await loadChunk(repo, chunk, { state: undefined });
    for (const r of result.loaded) count(summary, r.resourceType);
    for (const e of result.errors) summary.errors.push({ file, line: e.line, message: e.message });
    progress.add(chunk.length);
    chunk = [];
  };
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    chunk.push({ line: lineNo, text: line });
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
}

async function importJson(repo: Repository, file: string, summary: ImportSummary, progress: Progress, baseUrl: string): Promise<void> {
  let doc: Resource;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Resource;
  } catch (err) {
    summary.errors.push({ file, message: `Malformed JSON: ${(err as Error).message}` });
    return;
  }
  try {
    if (doc.resourceType === 'Bundle' && (doc.type === 'transaction' || doc.type === 'batch')) {
      const response = await processBundle(repo, doc, { baseUrl });
      (doc.entry ?? []).forEach((e, i) => {
        const status = response.entry?.[i]?.response?.status ?? '';
        if (/^2/.test(status)) count(summary, e.resource?.resourceType ?? e.request?.url?.split(/[/?]/)[0] ?? 'unknown');
        else
          summary.errors.push({
            file,
            message: `entry ${i}: ${status} ${JSON.stringify(response.entry?.[i]?.response?.outcome?.issue?.[0]?.details?.text ?? '')}`,
          });
      });
      progress.add(doc.entry?.length ?? 0);
    } else if (doc.resourceType === 'Bundle') {
      const resources = ((doc as Bundle).entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r);
      await writeChunk(repo, resources);
      for (const r of resources) count(summary, r.resourceType);
      progress.add(resources.length);
    } else {
      await writeChunk(repo, [doc]);
      count(summary, doc.resourceType);
      progress.add(1);
    }
  } catch (err) {
    summary.errors.push({ file, message: message(err) });
  }
}

export async function importPath(repo: Repository, target: string, baseUrl: string): Promise<ImportSummary> {
  const files = listFiles(target);
  const summary: ImportSummary = { files: files.length, resources: 0, byType: {}, errors: [] };
  const progress = new Progress('importing');
  for (const file of files) {
    if (file.toLowerCase().endsWith('.ndjson')) await importNdjson(repo, file, summary, progress);
    else await importJson(repo, file, summary, progress, baseUrl);
  }
  progress.finish();
  return summary;
}
