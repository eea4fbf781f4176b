/**
 * `yiwang export DIR`: one NDJSON file per resource type, current versions only, paged by id with the
 * same page query as a system-level `$export`.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { exportPage, exportTypes } from '../platform/bulk/export.js';
import type { Repository } from '../platform/fhir/repository.js';
import { getTableModel, type TableModel } from '../platform/fhir/schema.js';
import { Progress } from './progress.js';

const PAGE = 1000;

export async function exportAll(repo: Repository, dir: string, types?: string[]): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  const progress = new Progress('exporting');
  for (const type of exportTypes({ level: 'system', types })) {
    const model = getTableModel(type) as TableModel;
    let after = '';
    let out: ReturnType<typeof createWriteStream> | undefined;
    for (;;) {
      const rows = await exportPage(repo, { level: 'system' }, model, after, PAGE);
      if (!rows.length) break;
      out ??= createWriteStream(join(dir, `${model.resourceType}.ndjson`));
      for (const r of rows) if (!out.write(r.content + '\n')) await once(out, 'drain');
      counts[model.resourceType] = (counts[model.resourceType] ?? 0) + rows.length;
      progress.add(rows.length);
      after = rows[rows.length - 1].id;
    }
    if (out) {
      out.end();
      await once(out, 'finish');
    }
  }
  progress.finish();
  return counts;
}
