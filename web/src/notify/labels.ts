/** Words for notification priorities and categories. */
import type { TextKey } from '../i18n';
import type { Priority } from './api';

export const PRIORITY: Record<Priority, { label: TextKey; color: string }> = {
  stat: { label: 'priorityStat', color: 'red' },
  asap: { label: 'priorityAsap', color: 'volcano' },
  urgent: { label: 'priorityUrgent', color: 'orange' },
  routine: { label: 'priorityRoutine', color: 'default' },
};

export const CATEGORY: Record<string, TextKey> = {
  'critical-value': 'criticalValues',
  referral: 'referrals',
  task: 'worklistNav',
  escalation: 'escalation',
  'critical-value-unit': 'cvUnitProblem',
  reading: 'readingCategory',
};
