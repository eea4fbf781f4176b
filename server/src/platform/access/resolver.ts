/**
 * Turns an authenticated principal into the store's AccessFilter for one request: the policy in force
 * today, the caller's institution subtree (cached briefly: the Organization tree changes rarely and a
 * change shows within `scopeCacheMs`), their SMART scopes and a break-glass reason if they gave one.
 */
import type { Queryable } from '../db/database.js';
import type { AccessFilter } from '../fhir/access.js';
import { forbidden } from '../fhir/outcomes.js';
import type { Principal } from '../auth/service.js';
import { compileAccess, resolveScope, type AccessSubject, type ResolvedScope } from './filter.js';
import { policyInForce, type AccessPolicySet } from './policy.js';

export interface AccessRequest {
  principal: Principal;
  /** Break-glass (紧急授权) reason stated by the caller, if any. */
  breakGlassReason?: string;
  now?: Date;
}

/** Least length of a break-glass reason: a word or two, not an empty gesture. */
export const MIN_BREAK_GLASS_REASON = 4;

export class AccessResolver {
  private readonly scopes = new Map<string, { at: number; scope: Promise<ResolvedScope> }>();

  constructor(
    private readonly db: Queryable,
    private readonly options: { scopeCacheMs?: number; policies?: AccessPolicySet[] } = {},
  ) {}

  /** The policy set in force at `now`. */
  policy(now: Date = new Date()): AccessPolicySet {
    return policyInForce(now.toISOString(), this.options.policies);
  }

  async filterFor(request: AccessRequest): Promise<AccessFilter> {
    const { principal } = request;
    const now = request.now ?? new Date();
    const policy = this.policy(now);
    let breakGlass: AccessSubject['breakGlass'];
    if (request.breakGlassReason !== undefined) {
      const reason = request.breakGlassReason.trim();
      if (!principal.roles.some((r) => policy.roles[r]?.breakGlass)) {
        throw forbidden('Your role may not use break-glass access (紧急授权); ask a clinician of the resident’s institution');
      }
      if ([...reason].length < MIN_BREAK_GLASS_REASON) {
        throw forbidden(`Break-glass access needs a stated reason of at least ${MIN_BREAK_GLASS_REASON} characters (请说明紧急授权原因)`);
      }
      breakGlass = { reason };
    }
    const subject: AccessSubject = {
      tenant: principal.tenant,
      roles: principal.roles,
      organizationId: principal.organizationId,
      practitionerId: principal.practitionerId,
      patientId: principal.patientId,
      breakGlass,
    };
    return compileAccess(subject, policy, await this.scopeOf(subject), { scopes: principal.scopes });
  }

  private scopeOf(subject: AccessSubject): Promise<ResolvedScope> {
    const key = `${subject.tenant}\u0000${subject.organizationId ?? ''}\u0000${subject.practitionerId ?? ''}`;
    const ttl = this.options.scopeCacheMs ?? 30_000;
    const hit = this.scopes.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.scope;
    const scope = resolveScope(this.db, subject);
    scope.catch(() => this.scopes.delete(key));
    if (this.scopes.size > 10_000) this.scopes.clear();
    this.scopes.set(key, { at: Date.now(), scope });
    return scope;
  }
}
