/**
 * The storage model derived from the R4 search-parameter definitions: one table per resource type,
 * one (or a few) indexed columns per search parameter, one history table per type, and a shared
 * lookup table for string parameters (prefix search on a b-tree works for Chinese names too,
 * where trigram indexes do not).
 */
import { getSearchParameterDetails } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { CUSTOM_PARAMS } from './custom-params.js';
import { loadDefinitions } from './definitions.js';

export type ParamKind = 'token' | 'reference' | 'uri' | 'string' | 'date' | 'number' | 'quantity';

export interface ParamColumn {
  code: string;
  kind: ParamKind;
  param: SearchParameter;
  /** Base column name; date/number/quantity add `_lo`/`_hi`, tokens add `_text`, quantities `_unit`. */
  column: string;
  /** Reference targets (for reference parameters). */
  targets: string[];
  /** Our own parameter (custom-params.ts): its columns come from a later migration, not the generated 0001. */
  custom?: boolean;
  /** Derives the indexed values from what the expression found (string parameters). */
  derive?: (strings: string[]) => string[];
}

export interface TableModel {
  resourceType: string;
  table: string;
  history: string;
  params: Map<string, ParamColumn>;
  compartmentParams: string[];
}

const SUPPORTED: Record<string, ParamKind | undefined> = {
  token: 'token',
  reference: 'reference',
  uri: 'uri',
  string: 'string',
  date: 'date',
  number: 'number',
  quantity: 'quantity',
};

export function columnName(code: string): string {
  return 'p_' + code.replace(/[^A-Za-z0-9]/g, '_').toLowerCase();
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

let models: Map<string, TableModel> | undefined;

export function getTableModels(): Map<string, TableModel> {
  if (models) return models;
  const defs = loadDefinitions();
  models = new Map();
  for (const resourceType of defs.resourceTypes) {
    const params = new Map<string, ParamColumn>();
    for (const sp of defs.searchParameters.get(resourceType) ?? []) {
      const kind = SUPPORTED[sp.type as string];
      if (!kind) continue;
      // A parameter whose expression does not apply to this type has no values to index.
      const details = getSearchParameterDetails(resourceType, sp);
      if (!details) continue;
      params.set(sp.code as string, {
        code: sp.code as string,
        kind,
        param: sp,
        column: columnName(sp.code as string),
        targets: (sp.target as string[] | undefined) ?? [],
      });
    }
    for (const custom of CUSTOM_PARAMS) {
      if (!custom.definition.base?.includes(resourceType as never)) continue;
      const sp = custom.definition;
      params.set(sp.code as string, {
        code: sp.code as string,
        kind: sp.type as ParamKind,
        param: sp,
        column: columnName(sp.code as string),
        targets: [],
        custom: true,
        derive: custom.derive,
      });
    }
    models.set(resourceType, {
      resourceType,
      table: quoteIdent(resourceType),
      history: quoteIdent(resourceType + '_History'),
      params,
      compartmentParams: defs.patientCompartment.get(resourceType) ?? [],
    });
  }
  return models;
}

export function getTableModel(resourceType: string): TableModel | undefined {
  return getTableModels().get(resourceType);
}

/** SQL columns a parameter occupies on its resource table, with their types. */
export function paramSqlColumns(p: ParamColumn): [string, string][] {
  switch (p.kind) {
    case 'token':
      return [
        [p.column, 'text[]'],
        [p.column + '_text', 'text[]'],
      ];
    case 'reference':
    case 'uri':
      return [[p.column, 'text[]']];
    case 'string':
      // The searchable values live in search_string; this column only serves `_sort`.
      return [[p.column + '_sort', 'text']];
    case 'date':
      return [
        [p.column + '_lo', 'timestamptz'],
        [p.column + '_hi', 'timestamptz'],
      ];
    case 'number':
      return [
        [p.column + '_lo', 'double precision'],
        [p.column + '_hi', 'double precision'],
      ];
    case 'quantity':
      return [
        [p.column + '_lo', 'double precision'],
        [p.column + '_hi', 'double precision'],
        [p.column + '_unit', 'text[]'],
      ];
  }
}
