// analysisdraft.ts - an analysis as the editor holds it (a draft) and as the API takes
// it: parameters as "NAME[:TYPE][=DEFAULT]", tags from a comma list, fields that only
// some materializations use; and what the form checks before it asks the server.

import { checkName } from './validate';

export const MATERIALIZATIONS = ['view', 'table', 'append', 'incremental', 'parquet', 'ephemeral'] as const;
export const PARAM_TYPES = ['string', 'int', 'float', 'bool', 'date', 'timestamp', 'list'] as const;

export interface ParamRow {
  name: string;
  type: string;
  default: string;
}

export interface Draft {
  id: string;
  name: string;
  description: string;
  sql: string;
  materialize: string;
  unique_key: string;
  path: string;
  tags: string;
  params: ParamRow[];
  assumeFresh: boolean;
}

/** A saved analysis (as the API gives it) as a draft to edit; a new one when a is null. */
export function draftOf(a: any | null, sql = ''): Draft {
  return {
    id: a?.id ?? '',
    name: a?.name ?? '',
    description: a?.description ?? '',
    sql: a?.sql ?? sql,
    materialize: a?.materialize ?? 'view',
    unique_key: a?.unique_key ?? '',
    path: a?.path ?? '',
    tags: (a?.tags ?? []).join(', '),
    params: (a?.parameters ?? []).map((p: any) => ({ name: p.name, type: p.type, default: p.default ?? '' })),
    assumeFresh: a?.freshness === 'assume_fresh',
  };
}

/** "NAME[:TYPE][=DEFAULT]" as the API takes a parameter; a parameter without a default is required. */
export function paramSpec(p: ParamRow): string {
  return `${p.name.trim()}${p.type ? `:${p.type}` : ''}${p.default !== '' ? `=${p.default}` : ''}`;
}

/** The API's fields for a draft (what is empty is sent empty, so that it can be cleared). */
export function draftFields(d: Draft) {
  return {
    sql: d.sql,
    name: d.name,
    description: d.description,
    materialize: d.materialize,
    unique_key: d.materialize === 'incremental' ? d.unique_key : '',
    path: d.materialize === 'parquet' ? d.path : '',
    tags: d.tags.split(',').map((t) => t.trim()).filter(Boolean),
    parameters: d.params.filter((p) => p.name.trim()).map(paramSpec),
    freshness: d.assumeFresh ? 'assume_fresh' : 'default',
  };
}

/** What the form checks before it asks the server; null when it can be sent. */
export function draftProblem(d: Draft, isNew: boolean): string | null {
  if (isNew) {
    const bad = checkName('analysis', d.id);
    if (bad) return bad;
  }
  if (!d.sql.trim()) return 'write the SQL it runs';
  for (const p of d.params) if (p.name.trim() && checkName('parameter', p.name.trim())) return checkName('parameter', p.name.trim());
  if (d.materialize === 'incremental' && !d.unique_key.trim()) return 'an incremental analysis needs its key columns';
  if (d.materialize === 'parquet' && !d.path.trim()) return 'a parquet analysis needs the file it writes';
  return null;
}
