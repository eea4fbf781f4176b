/**
 * Compiles a caller's access policy into the store's AccessFilter: a SQL condition added to every
 * read, search, _include, _revinclude, chain, $everything and history query, and a write check.
 * Nothing is filtered after the query.
 *
 * catchment (服务范围) of an institution: residents it (or an institution below it, e.g. a township's
 * villages) manages, or that have an encounter there, an episode of care with it, a request addressed
 * to it (a referral or consultation to a county centre) or a care team with the caller.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { scopeAllows } from '../auth/scopes.js';
import type { AccessFilter, AccessInteraction, WriteCheckContext } from '../fhir/access.js';
import { extractSearchValues } from '../fhir/extract.js';
import { forbidden } from '../fhir/outcomes.js';
import { getTableModel } from '../fhir/schema.js';
import { SqlParams } from '../fhir/sql.js';
import { DEFAULT_RELATIONSHIPS, type AccessPolicySet, type Relationship, type Scope } from './policy.js';

export interface AccessSubject {
  tenant: string;
  roles: string[];
  /** The caller's institution (Organization id). */
  organizationId?: string;
  practitionerId?: string;
  /** For residents: their own Patient id. */
  patientId?: string;
  /** Break-glass (紧急授权) with its stated reason; honoured only for roles allowed to use it. */
  breakGlass?: { reason: string };
}

export interface ResolvedScope {
  /** 'Organization/x' for the caller's institution and every institution below it. */
  organizationRefs: string[];
  /** The above plus the caller's own Practitioner reference: who a request or care team may name. */
  actorRefs: string[];
}

const RANK: Record<Scope, number> = { none: 0, own: 1, catchment: 2, all: 3 };

/** The widest scope any of the caller's roles grants (roles add up). */
function widest(policy: AccessPolicySet, roles: string[], kind: 'read' | 'write'): Scope {
  let best: Scope = 'none';
  for (const role of roles) {
    const p = policy.roles[role];
    if (p && RANK[p[kind]] > RANK[best]) best = p[kind];
  }
  return best;
}

/** Institutions below `organizationId` in the Organization.partOf tree, the institution included. */
export async function resolveScope(db: Queryable, subject: AccessSubject): Promise<ResolvedScope> {
  const organizationRefs: string[] = [];
  if (subject.organizationId) {
    const rows = await db.query<{ id: string }>(
      `WITH RECURSIVE tree(id) AS (
         SELECT $2::text
         UNION
         SELECT o.id FROM "Organization" o JOIN tree t ON o.p_partof && ARRAY['Organization/' || t.id]
         WHERE o.tenant = $1 AND NOT o.deleted
       ) SELECT id FROM tree`,
      [subject.tenant, subject.organizationId],
    );
    organizationRefs.push(...rows.rows.map((r) => `Organization/${r.id}`));
  }
  const actorRefs = [...organizationRefs, ...(subject.practitionerId ? [`Practitioner/${subject.practitionerId}`] : [])];
  return { organizationRefs, actorRefs };
}

/** Person (the resident index's golden record) holds a resident's demographics: personal data, though outside the compartment. */
export function isPatientData(resourceType: string): boolean {
  return resourceType === 'Patient' || resourceType === 'Person' || !!getTableModel(resourceType)?.compartmentParams.length;
}

/**
 * SQL for "the row of another type in the resident's compartment names the caller's institutions / actors".
 * The resident's rows of that type are found by the compartment index alone, behind an OFFSET 0 fence, and the
 * institution is checked on those few rows: left to itself PostgreSQL ANDs the compartment bitmap with one of
 * every row naming the institution (all the encounters of a township centre), once per resident checked, which
 * made a catchment-scoped county-wide search grow with the county (730 ms at 1.5 M resources).
 */
function related(table: string, column: string, pt: string, refs: string, only = ''): string {
  return `EXISTS (SELECT 1 FROM (SELECT acc_x.${column} AS refs FROM "${table}" acc_x WHERE acc_x.tenant = ${pt}.tenant AND NOT acc_x.deleted AND acc_x.compartments && ARRAY[${pt}.id]${only} OFFSET 0) acc_y WHERE acc_y.refs && ${refs}::text[])`;
}

/**
 * A care team opens the record to its members while it is in force: not once it is inactive, suspended or entered in
 * error (a consultation's experts lose access when it ends), nor while merely proposed. No status counts as in force.
 */
const CARE_TEAM_IN_FORCE = ` AND (acc_x.p_status IS NULL OR acc_x.p_status && ARRAY['active']::text[])`;

type RelationshipSql = (pt: string, refs: { orgs: string; actors: string }) => string;

/**
 * The relationships that put a resident in an institution's catchment (服务范围). The policy names, per role,
 * which of them count (`RolePolicy.relationships`); these are the only SQL behind the names.
 */
export const RELATIONSHIPS: Record<Relationship, RelationshipSql> = {
  'managing-organization': (pt, r) => `${pt}.p_organization && ${r.orgs}::text[]`,
  'general-practitioner': (pt, r) => `${pt}.p_general_practitioner && ${r.actors}::text[]`,
  encounter: (pt, r) => related('Encounter', 'p_service_provider', pt, r.orgs),
  'episode-of-care': (pt, r) => related('EpisodeOfCare', 'p_organization', pt, r.orgs),
  'service-request': (pt, r) => related('ServiceRequest', 'p_performer', pt, r.actors),
  'care-team': (pt, r) => related('CareTeam', 'p_participant', pt, r.actors, CARE_TEAM_IN_FORCE),
  'task-owner': (pt, r) => related('Task', 'p_owner', pt, r.actors),
  'communication-recipient': (pt, r) => related('Communication', 'p_recipient', pt, r.actors),
  'coverage-payor': (pt, r) => related('Coverage', 'p_payor', pt, r.orgs),
  'flag-author': (pt, r) => related('Flag', 'p_author', pt, r.actors),
};

/** The relationships of all the caller's roles (each role's own list, or the policy's default). */
function relationshipsOf(policy: AccessPolicySet, roles: string[]): Relationship[] {
  const names = new Set<Relationship>();
  for (const role of roles) for (const r of policy.roles[role]?.relationships ?? DEFAULT_RELATIONSHIPS) names.add(r);
  return [...names];
}

export interface CompileOptions {
  /** SMART scopes of the token; undefined = no scope limit (the platform's own jobs). */
  scopes?: string[];
}

export function compileAccess(
  subject: AccessSubject,
  policy: AccessPolicySet,
  scope: ResolvedScope,
  options: CompileOptions = {},
): AccessFilter {
  const breakGlass = !!subject.breakGlass && subject.roles.some((r) => policy.roles[r]?.breakGlass);
  const read: Scope = breakGlass ? 'all' : widest(policy, subject.roles, 'read');
  const write = widest(policy, subject.roles, 'write');
  const writeTypes = new Set(subject.roles.flatMap((r) => policy.roles[r]?.writeTypes ?? []));

  const relationships = relationshipsOf(policy, subject.roles);

  /** Condition on a Patient row `pt` for the catchment scope: any of the caller's roles' relationships. */
  const catchment = (pt: string, params: SqlParams): string => {
    // Parameters are added on first use: an unused one has no type PostgreSQL could infer.
    let orgs: string | undefined;
    let actors: string | undefined;
    const refs = {
      get orgs() {
        return (orgs ??= params.add(scope.organizationRefs));
      },
      get actors() {
        return (actors ??= params.add(scope.actorRefs));
      },
    };
    return relationships.map((name) => RELATIONSHIPS[name](pt, refs)).join(' OR ');
  };

  const patientCondition = (pt: string, params: SqlParams, s: Scope): string => {
    if (s === 'own') return subject.patientId ? `${pt}.id = ${params.add(subject.patientId)}` : 'false';
    if (s === 'catchment') return `(${catchment(pt, params)})`;
    return 'false';
  };

  const readCondition = (resourceType: string, alias: string, params: SqlParams, s: Scope = read): string | null => {
    if (s === 'all') return null;
    // Registries and catalogues (institutions, staff, locations, terminologies) are not personal data.
    if (!isPatientData(resourceType)) return s === 'none' ? 'false' : null;
    if (s === 'none') return 'false';
    if (resourceType === 'Patient') return patientCondition(alias, params, s);
    // A golden record is visible when one of the source records it links is.
    if (resourceType === 'Person') {
      return `EXISTS (SELECT 1 FROM "Patient" acc_pt WHERE acc_pt.tenant = ${alias}.tenant AND NOT acc_pt.deleted AND ('Patient/' || acc_pt.id) = ANY(${alias}.p_link) AND ${patientCondition('acc_pt', params, s)})`;
    }
    if (s === 'own') return subject.patientId ? `${alias}.compartments && ARRAY[${params.add(subject.patientId)}]::text[]` : 'false';
    // Checked row by row (OFFSET 0 keeps PostgreSQL from turning it into a join): the check costs what the
    // resident's own records cost, whatever the size of the county. As a join, PostgreSQL evaluated the catchment
    // of every resident of the county first (a sequential scan of Patient: seconds at 20 000 residents).
    return `EXISTS (SELECT 1 FROM "Patient" acc_pt WHERE acc_pt.tenant = ${alias}.tenant AND NOT acc_pt.deleted AND acc_pt.id = ANY(${alias}.compartments) AND ${patientCondition('acc_pt', params, s)} OFFSET 0)`;
  };

  const checkWrite = async (store: WriteCheckContext, resource: Resource, interaction: 'create' | 'update' | 'delete'): Promise<void> => {
    const type = resource.resourceType;
    if (write === 'none') throw forbidden(`Your role may not ${interaction} ${type} resources`);
    if (write === 'all') return;
    if (!writeTypes.has('*') && !writeTypes.has(type)) throw forbidden(`Your role may not ${interaction} ${type} resources`);
    if (!isPatientData(type)) throw forbidden(`Only administrators maintain ${type} (registries and catalogues)`);
    if (type === 'Person') throw forbidden('Golden records (Person) are maintained by the resident index, not edited directly');
    // Every resident the resource concerns must be within the caller's write scope.
    const model = getTableModel(type);
    if (!model) return;
    const patients = type === 'Patient' ? [] : (extractSearchValues(resource, model).compartments ?? []);
    if (type === 'Patient') {
      if (write === 'own') {
        if (resource.id !== subject.patientId || interaction !== 'update') throw forbidden('Residents may only update their own record');
        return;
      }
      const managing = resource.managingOrganization?.reference;
      if (!managing || !scope.organizationRefs.includes(managing)) {
        throw forbidden(
          'A resident can only be registered or changed under your institution or one below it (Patient.managingOrganization)',
        );
      }
      return;
    }
    if (!patients.length) return;
    const params = new SqlParams([store.tenant, patients]);
    const condition = patientCondition('pt', params, write);
    const rows = await store.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM "Patient" pt WHERE pt.tenant = $1 AND NOT pt.deleted AND pt.id = ANY($2::text[]) AND ${condition}`,
      params.values,
    );
    if (Number(rows[0]?.n ?? 0) !== patients.length) {
      throw forbidden(`You may not ${interaction} records of a resident outside your catchment`);
    }
  };

  const scopes = options.scopes;
  const scopeReads = (type: string): boolean => !scopes || scopeAllows(scopes, type, 'read') || scopeAllows(scopes, type, 'search');

  const checkInteraction = (type: string, interaction: AccessInteraction): void => {
    if (scopes && !scopeAllows(scopes, type, interaction)) {
      throw forbidden(`The access token's scopes do not allow ${interaction} on ${type} (scopes: ${scopes.join(' ') || 'none'})`);
    }
    const isRead = interaction === 'read' || interaction === 'search';
    if (isRead && read === 'none' && isPatientData(type)) throw forbidden(`Your role may not read residents' ${type} records`);
    if (!isRead && write === 'none') throw forbidden(`Your role may not ${interaction} ${type} resources`);
  };

  return {
    readCondition: (t, a, p) => (scopeReads(t) ? readCondition(t, a, p) : 'false'),
    checkWrite: async (store, resource, interaction) => {
      checkInteraction(resource.resourceType, interaction);
      await checkWrite(store, resource, interaction);
    },
    checkInteraction,
    unrestricted:
      read === 'all' && write === 'all' && !breakGlass && (!scopes || scopes.some((x) => /^(system|user)\/\*\.(\*|cruds)$/.test(x))),
  };
}
