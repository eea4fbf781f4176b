/**
 * Resolves a workflow target (docs/workflow.md) to notification recipients at the time of sending, from the task's
 * parties and the registries (Organization.partOf, PractitionerRole). A target that names nobody falls back to an
 * institution's inbox ('Organization/<id>', seen by everyone working there), so no escalation is ever lost.
 */
import type { Queryable } from '../db/database.js';
import { organizationChain } from './actor.js';
import type { Target } from './definition.js';

export interface TaskParties {
  tenant: string;
  owner?: string;
  requester?: string;
  requesterOrganization?: string;
}

/** The institution a party stands for: an Organization itself, or the institution the requester acted for. */
function institutionOf(parties: TaskParties, which: 'owner' | 'requester'): string | undefined {
  if (which === 'owner') return parties.owner?.startsWith('Organization/') ? parties.owner : undefined;
  return parties.requesterOrganization ?? (parties.requester?.startsWith('Organization/') ? parties.requester : undefined);
}

async function holdersOfRole(q: Queryable, tenant: string, role: string, organization: string): Promise<string[]> {
  const rows = await q.query<{ who: string }>(
    `SELECT DISTINCT p.ref AS who
       FROM "PractitionerRole" r CROSS JOIN LATERAL unnest(r.p_practitioner) AS p(ref)
      WHERE r.tenant = $1 AND NOT r.deleted AND r.p_role && $2::text[] AND r.p_organization && $3::text[]
        AND (r.p_active IS NULL OR NOT (r.p_active && ARRAY['false']))
        AND p.ref LIKE 'Practitioner/%'
      ORDER BY 1`,
    [tenant, [role, `urn:yiwang:role|${role}`], [organization]],
  );
  return rows.rows.map((r) => r.who);
}

export async function resolveTarget(q: Queryable, target: Target, parties: TaskParties): Promise<string[]> {
  if ('recipient' in target) return [target.recipient];
  if ('party' in target) {
    if (target.party === 'owner') return parties.owner ? [parties.owner] : [];
    if (target.party === 'requester') {
      const who = parties.requester ?? parties.requesterOrganization;
      return who ? [who] : [];
    }
    const start = institutionOf(parties, 'owner') ?? institutionOf(parties, 'requester');
    if (!start) return [];
    const chain = await organizationChain(q, parties.tenant, start.slice('Organization/'.length));
    return [chain[chain.length - 1] ?? start];
  }
  const institution = institutionOf(parties, target.at);
  if (!institution) return target.at === 'owner' && parties.owner ? [parties.owner] : [];
  const chain = target.climb ? await organizationChain(q, parties.tenant, institution.slice('Organization/'.length)) : [institution];
  for (const org of chain.length ? chain : [institution]) {
    const holders = await holdersOfRole(q, parties.tenant, target.practitionerRole, org);
    if (holders.length) return holders;
  }
  return [institution];
}

export async function resolveTargets(q: Queryable, targets: readonly Target[], parties: TaskParties): Promise<string[]> {
  const all = new Set<string>();
  for (const t of targets) for (const r of await resolveTarget(q, t, parties)) all.add(r);
  return [...all];
}
