/**
 * Access policies are data: one JSON file per version in ./policies, each with an effective date.
 * The engine picks the version in force on a date, so a county changes a file, not code, and past
 * decisions can be explained with the policy that applied then.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Scope = 'all' | 'catchment' | 'own' | 'none';

/** Relationships that put a resident in an institution's catchment; the SQL behind each is in filter.ts. */
export const RELATIONSHIP_NAMES = [
  'managing-organization',
  'general-practitioner',
  'encounter',
  'episode-of-care',
  'service-request',
  'care-team',
  'task-owner',
  'communication-recipient',
  'coverage-payor',
  'flag-author',
] as const;
export type Relationship = (typeof RELATIONSHIP_NAMES)[number];

/** A role without its own list: registered there, its GP, seen there, or sent there (policy versions before 2026-11-23). */
export const DEFAULT_RELATIONSHIPS: readonly Relationship[] = [
  'managing-organization',
  'general-practitioner',
  'encounter',
  'episode-of-care',
  'service-request',
  'care-team',
];

export interface RolePolicy {
  read: Scope;
  write: Scope;
  /** Resource types the role may create, update and delete ('*' = every type). */
  writeTypes: string[];
  /** May open a resident outside the scope with a stated reason (recorded and reported). */
  breakGlass: boolean;
  /** What puts a resident in this role's catchment; default DEFAULT_RELATIONSHIPS. */
  relationships?: Relationship[];
  /** Identity fields shown masked to this role ('id-number', 'phone', 'address'); see mask.ts. */
  mask?: ('id-number' | 'phone' | 'address')[];
}

export interface AccessPolicySet {
  version: string;
  effective: string;
  description?: string;
  roles: Record<string, RolePolicy>;
}

const SCOPES: Scope[] = ['all', 'catchment', 'own', 'none'];
const MASKABLE: string[] = ['id-number', 'phone', 'address'];
const policiesDir = join(dirname(fileURLToPath(import.meta.url)), 'policies');

export function validatePolicySet(set: AccessPolicySet, source: string): AccessPolicySet {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(set.effective ?? '')) throw new Error(`${source}: 'effective' must be a date (YYYY-MM-DD)`);
  for (const [role, p] of Object.entries(set.roles ?? {})) {
    if (!SCOPES.includes(p.read) || !SCOPES.includes(p.write)) throw new Error(`${source}: role '${role}' has an unknown scope`);
    if (!Array.isArray(p.writeTypes)) throw new Error(`${source}: role '${role}' needs writeTypes`);
    const badRel = (p.relationships ?? []).filter((r) => !(RELATIONSHIP_NAMES as readonly string[]).includes(r));
    if (badRel.length) throw new Error(`${source}: role '${role}' names unknown relationship(s) ${badRel.join(', ')}`);
    if (p.relationships && !p.relationships.length) throw new Error(`${source}: role '${role}' has an empty relationships list`);
    const badMask = (p.mask ?? []).filter((m) => !MASKABLE.includes(m));
    if (badMask.length) throw new Error(`${source}: role '${role}' masks unknown field(s) ${badMask.join(', ')}`);
  }
  return set;
}

let loaded: AccessPolicySet[] | undefined;

export function loadPolicySets(dir = policiesDir): AccessPolicySet[] {
  if (dir === policiesDir && loaded) return loaded;
  const sets = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => validatePolicySet(JSON.parse(readFileSync(join(dir, f), 'utf8')) as AccessPolicySet, f))
    .sort((a, b) => a.effective.localeCompare(b.effective));
  if (dir === policiesDir) loaded = sets;
  return sets;
}

/** The policy set in force on `date` (ISO date or instant): the latest one whose effective date has come. */
export function policyInForce(date: string, sets = loadPolicySets()): AccessPolicySet {
  const day = date.slice(0, 10);
  const inForce = sets.filter((s) => s.effective <= day);
  if (!inForce.length) throw new Error(`No access policy is in force on ${day}`);
  return inForce[inForce.length - 1];
}
