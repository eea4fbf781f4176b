/**
 * Loading NDJSON in chunks — shared by `$import` and `yiwang import`. Each chunk is one transaction:
 * resources with an id are written update-or-create (so a chunk loaded twice leaves no duplicates),
 * new ids of a type go out as one multi-row INSERT (the Repository buffers creates inside a
 * transaction), and a caller-supplied `commit` step (error lines, checkpoint) joins the same
 * transaction. A bad line never sinks its neighbours: it is reported with its number and reason, and a
 * chunk that fails as a whole is retried line by line.
 */
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/outcomes.js';
import { modelFor, type Repository } from '../fhir/repository.js';
import { depthOf, MAX_DEPTH, validateIncoming } from '../fhir/validate.js';
import { withDeferredLinking } from '../identity/empi/batch.js';

export interface NdjsonLine {
  line: number;
  text: string;
}

export interface LineError {
  line: number;
  resourceType?: string;
  id?: string;
  message: string;
  issues: OperationOutcomeIssue[];
}

interface GoodLine {
  line: number;
  resource: Resource;
}

export type CommitStep<S> = (tx: Repository, state: S, upToLine: number, loaded: Resource[], errors: LineError[]) => Promise<S>;

function lineError(line: number, err: unknown, resource?: { resourceType?: unknown; id?: unknown }): LineError {
  const issues: OperationOutcomeIssue[] =
    err instanceof FhirError
      ? err.issues
      : [{ severity: 'error', code: 'exception', details: { text: (err as Error).message ?? String(err) } }];
  return {
    line,
    resourceType: typeof resource?.resourceType === 'string' ? resource.resourceType : undefined,
    id: typeof resource?.id === 'string' ? resource.id : undefined,
    message: err instanceof Error ? err.message : String(err),
    issues,
  };
}

function structureError(line: number, text: string, resource?: { resourceType?: unknown; id?: unknown }): LineError {
  return lineError(line, new FhirError(400, [{ severity: 'error', code: 'structure', details: { text } }]), resource);
}

/** Parses and validates lines; blank lines are skipped. */
export function parseLines(lines: NdjsonLine[], expectedType?: string): { good: GoodLine[]; errors: LineError[] } {
  const good: GoodLine[] = [];
  const errors: LineError[] = [];
  for (const { line, text } of lines) {
    if (!text.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      errors.push(structureError(line, `Malformed JSON: ${(err as Error).message}`));
      continue;
    }
    const head = parsed && typeof parsed === 'object' ? (parsed as { resourceType?: unknown; id?: unknown }) : undefined;
    if (depthOf(parsed, MAX_DEPTH) > MAX_DEPTH) {
      errors.push(structureError(line, `JSON nested deeper than ${MAX_DEPTH} levels`, head));
      continue;
    }
    if (expectedType && head && head.resourceType !== expectedType) {
      errors.push(
        structureError(line, `resourceType '${String(head.resourceType)}' does not match the input's type '${expectedType}'`, head),
      );
      continue;
    }
    try {
      good.push({ line, resource: validateIncoming(parsed) });
    } catch (err) {
      errors.push(lineError(line, err, head));
    }
  }
  return { good, errors };
}

/**
 * Writes validated resources in `tx`: ids update-or-create, creates buffered into multi-row INSERTs. The resident
 * index links the Patients among them in one batch at the end, in the same transaction (identity/empi/batch.ts).
 */
export async function writeResources(tx: Repository, resources: Resource[]): Promise<void> {
  const t0 = performance.now();
  let t1 = t0;
  let t2 = t0;
  await withDeferredLinking(tx, async () => {
    await writeEach(tx, resources);
    t1 = performance.now();
    await tx.flush();
    t2 = performance.now();
  });
  // prepare: existing ids, validation of references, search values, encryption (mostly this process's CPU);
  // insert: the multi-row statements; link: the resident index's batch.
  loadPhases.add('prepare', t1 - t0);
  loadPhases.add('insert', t2 - t1);
  loadPhases.add('link', performance.now() - t2);
}

/**
 * Time per phase of the loads of this process (parse and validate, write rows, resident-index linking, the
 * commit step, commit), for diagnosis: `YIWANG_BULK_PROFILE=1` makes `$import` log them after each input.
 */
export const loadPhases = {
  totals: new Map<string, number>(),
  add(phase: string, ms: number): void {
    this.totals.set(phase, (this.totals.get(phase) ?? 0) + ms);
  },
  take(): Record<string, number> {
    const out = Object.fromEntries([...this.totals].map(([k, v]) => [k, Math.round(v)]));
    this.totals.clear();
    return out;
  },
};

async function writeEach(tx: Repository, resources: Resource[]): Promise<void> {
  const existing = new Map<string, Set<string>>();
  const byType = new Map<string, string[]>();
  for (const r of resources) if (r.id) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r.id]);
  for (const [type, ids] of byType) {
    const rows = await tx.query<{ id: string }>(`SELECT id FROM ${modelFor(type).table} WHERE tenant = $1 AND id = ANY($2::text[])`, [
      tx.tenant,
      ids,
    ]);
    existing.set(type, new Set(rows.map((r) => r.id)));
  }
  for (const r of resources) {
    if (!r.id) {
      await tx.create(r, { validated: true });
      continue;
    }
    const seen = existing.get(r.resourceType) as Set<string>;
    if (seen.has(r.id)) {
      await tx.update(r.resourceType, r.id, r, { validated: true });
    } else {
      await tx.create(r, { assignedId: r.id, validated: true });
      seen.add(r.id);
    }
  }
}

/** An error that must stop the load rather than be reported as a bad line (a cancelled job). */
export class StopLoad extends Error {}

/**
 * Loads one chunk of lines. Returns the resources written and the bad lines, and the state the
 * commit step returned for the last committed transaction.
 */
export async function loadChunk<S>(
  repo: Repository,
  lines: NdjsonLine[],
  options: { expectedType?: string; state: S; commit?: CommitStep<S> },
): Promise<{ state: S; loaded: Resource[]; errors: LineError[] }> {
  let t = performance.now();
  const { good, errors } = parseLines(lines, options.expectedType);
  loadPhases.add('parse', performance.now() - t);
  const lastLine = lines.length ? lines[lines.length - 1].line : 0;
  const commit: CommitStep<S> = options.commit ?? (async (_tx, s) => s);
  const resources = good.map((g) => g.resource);
  try {
    let tc = 0;
    const state = await repo.withTransaction(async (tx) => {
      await writeResources(tx, resources);
      t = performance.now();
      const next = await commit(tx, options.state, lastLine, resources, errors);
      tc = performance.now();
      loadPhases.add('checkpoint', tc - t);
      return next;
    });
    loadPhases.add('commit', performance.now() - tc);
    return { state, loaded: resources, errors };
  } catch (err) {
    if (err instanceof StopLoad) throw err;
  }
  // Something in the chunk failed as a whole: one transaction per line finds the culprit(s).
  let state = options.state;
  const loaded: Resource[] = [];
  const allErrors = [...errors];
  let unreported = [...errors];
  for (const g of good) {
    const due = unreported.filter((e) => e.line <= g.line);
    try {
      state = await repo.withTransaction(async (tx) => {
        await writeResources(tx, [g.resource]);
        return commit(tx, state, g.line, [g.resource], due);
      });
      unreported = unreported.filter((e) => !due.includes(e));
      loaded.push(g.resource);
    } catch (err) {
      if (err instanceof StopLoad) throw err;
      const bad = lineError(g.line, err, g.resource);
      allErrors.push(bad);
      unreported.push(bad);
    }
  }
  const rest = unreported;
  state = await repo.withTransaction((tx) => commit(tx, state, lastLine, [], rest));
  return { state, loaded, errors: allErrors.sort((a, b) => a.line - b.line) };
}

/** One error line of an import's error file. */
export function errorOutcome(e: LineError, source?: string): OperationOutcome {
  const where = `${source ? `${source} ` : ''}line ${e.line}${e.resourceType ? ` (${e.resourceType}${e.id ? `/${e.id}` : ''})` : ''}`;
  return {
    resourceType: 'OperationOutcome',
    issue: e.issues.map((i) => ({ ...i, diagnostics: where })),
  };
}
