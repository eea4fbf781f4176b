/** Writes the FHIR store DDL as migration 0001. Run: npx tsx scripts/generate-fhir-migration.ts */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsDir } from '../src/platform/db/migrate.js';
import { fhirStoreDdl } from '../src/platform/fhir/schema-sql.js';

const file = join(migrationsDir, '0001_fhir_store.sql');
writeFileSync(file, fhirStoreDdl());
console.log('wrote', file);
