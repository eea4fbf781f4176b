/**
 * Who sees which imaging case, on top of the record's access policy (which opens a resident's record to a centre once
 * a request is addressed to it): a requesting institution sees the cases it requested (its own and those of the
 * institutions below it), the centre the cases addressed to it; administrators and the community's managers see all.
 */
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { worklistScope } from '../../platform/workflow/worklist.js';
import type { ReadingCase } from '../reading/cases.js';

export interface CaseScope {
  all: boolean;
  /** The caller's institution and every institution below it ('Organization/x'). */
  subtree: string[];
  me?: string;
}

const SEE_ALL = ['admin', 'manager'];

/** Who acted, as the reading tables and reports record it: the practitioner, else the user account. */
export const actorRef = (actor: Actor): string => (actor.practitionerId ? `Practitioner/${actor.practitionerId}` : `user:${actor.userId}`);

export async function caseScope(repo: Repository, actor: Actor): Promise<CaseScope> {
  const scope = await worklistScope(repo, actor);
  return { all: actor.roles.some((r) => SEE_ALL.includes(r)), subtree: scope.subtree, me: scope.me };
}

export type Side = 'requester' | 'centre';

/** The side the caller is on for a case, or undefined when it is not theirs to see. */
export function sideOf(c: Pick<ReadingCase, 'requester_org' | 'owner_org'>, scope: CaseScope): Side | undefined {
  if (scope.subtree.includes(c.owner_org)) return 'centre';
  if (c.requester_org && scope.subtree.includes(c.requester_org)) return 'requester';
  return scope.all ? 'requester' : undefined;
}
