/** `yiwang export DIR`: one NDJSON file per resource type, current versions only, paged by id. */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Repository } from '../platform/fhir/repository.js';
import { getTableModels } from '../platform/fhir/schema.js';
import { Progress } from './progress.js';

const PAGE = 1000;

export async function exportAll(repo: Repository, dir: string, types?: string[]): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  const progress = new Progress('exporting');
  for (const model of getTableModels().values()) {
    if (types && !types.includes(model.resourceType)) continue;
    let after = '';
    let out: ReturnType<typeof createWriteStream> | undefined;
    for (;;) {
      const rows = await repo.query<{ id: string; content: string }>(
        `SELECT id, content FROM ${model.table} WHERE tenant = $1 AND NOT deleted AND id > $2 ORDER BY id LIMIT ${PAGE}`,
        [repo.tenant, after],
      );
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
