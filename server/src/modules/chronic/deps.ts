/** What the parts of the chronic module share: the platform services it uses and the loaded rule data. */
import type { Clock } from '../../platform/clock.js';
import type { WorkflowEngine } from '../../platform/workflow/engine.js';
import type { GuidanceVersion } from './guidance.js';
import type { ReferralPort } from './referral.js';
import type { RuleVersion } from './rules.js';

export interface ChronicDeps {
  clock: Clock;
  rules: readonly RuleVersion[];
  guidance: readonly GuidanceVersion[];
  referrals: ReferralPort;
  workflows: WorkflowEngine;
  log: (message: string, err?: unknown) => void;
}

/** Today in the county (UTC+8), YYYY-MM-DD. */
export const countyToday = (deps: Pick<ChronicDeps, 'clock'>): string =>
  new Date(deps.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
