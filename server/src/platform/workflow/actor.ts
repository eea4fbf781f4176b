/**
 * Who makes a transition, and where they stand in the institution tree. A transition reserved to the task's "owner"
 * or "requester" party may be made by a user whose institution is that institution or lies below it in the
 * Organization.partOf tree (a township centre's task can be handled by the centre's staff, not by a sibling centre's).
 */
import type { Queryable } from '../db/database.js';
import type { Principal } from '../auth/service.js';

export interface Actor {
  /** User id (or 'system' for the engine's own escalations). */
  userId: string;
  display?: string;
  practitionerId?: string;
  organizationId?: string;
  roles: string[];
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', display: '系统 (system)', roles: ['system'] };

export function actorOf(p: Principal): Actor {
  return {
    userId: p.subject,
    display: p.username,
    practitionerId: p.practitionerId,
    organizationId: p.organizationId,
    roles: p.roles,
  };
}

/** The actor's reference for Provenance.agent.who and the transition log. */
export const actorReference = (a: Actor): string | undefined => (a.practitionerId ? `Practitioner/${a.practitionerId}` : undefined);

/**
 * 'Organization/<id>' of the institution and every institution above it (partOf chain), nearest first.
 * A cycle in the registry stops the climb instead of looping.
 */
export async function organizationChain(q: Queryable, tenant: string, organizationId: string | undefined): Promise<string[]> {
  if (!organizationId) return [];
  const rows = await q.query<{ id: string; depth: number }>(
    `WITH RECURSIVE up(id, depth) AS (
       SELECT $2::text, 0
       UNION
       SELECT substr(p.ref, 14), u.depth + 1
         FROM up u JOIN "Organization" o ON o.tenant = $1 AND o.id = u.id AND NOT o.deleted
         CROSS JOIN LATERAL unnest(o.p_partof) AS p(ref)
        WHERE p.ref LIKE 'Organization/%' AND u.depth < 20
     ) SELECT id, min(depth) AS depth FROM up GROUP BY id ORDER BY min(depth)`,
    [tenant, organizationId],
  );
  return rows.rows.map((r) => `Organization/${r.id}`);
}
