/**
 * Workflow definitions are validated when registered: a faulty rule file stops the server at start with a message that
 * names the workflow, the version and the faulty part. Pure checks (no database).
 */
import { describe, expect, it } from 'vitest';
import { chinaDate, timingMs, validateDefinition, WorkflowRegistry, type WorkflowDefinition } from '../src/platform/workflow/definition.js';
import { reviewWorkflow } from './workflow-fixtures.js';

const clone = (): WorkflowDefinition => structuredClone(reviewWorkflow());

describe('workflow definition validation', () => {
  it('accepts a sound definition', () => {
    expect(validateDefinition(clone()).id).toBe('test-review');
  });

  const cases: [string, (d: WorkflowDefinition) => void, RegExp][] = [
    ['unknown initial state', (d) => (d.initial = 'nowhere'), /initial state 'nowhere' is not among the states/],
    ['transition to an unknown state', (d) => (d.transitions[0].to = 'limbo'), /transition 0 \('accept'\) leads to unknown state 'limbo'/],
    ['transition from an unknown state', (d) => (d.transitions[0].from = ['limbo']), /starts from unknown state 'limbo'/],
    [
      'unreachable state',
      (d) => (d.states.orphan = { status: 'on-hold', display: { zh: '挂起', en: 'On hold' }, final: true }),
      /'orphan' cannot be reached/,
    ],
    ['bad due duration', (d) => (d.states.accepted.due = '1 day'), /state 'accepted'.due: '1 day' is not an ISO 8601 duration/],
    ['months are not allowed', (d) => (d.states.accepted.due = 'P1M'), /not an ISO 8601 duration/],
    ['bad escalation duration', (d) => (d.states.requested.escalation![0].after = { default: 'soon' }), /escalation\[0\]\.after: 'soon'/],
    ['escalation levels out of order', (d) => (d.states.requested.escalation![1].after = 'PT1H'), /escalation\[1\] must come later/],
    ['unknown Task.status', (d) => ((d.states.accepted as { status: string }).status = 'approved'), /unknown Task.status 'approved'/],
    [
      'leaving a final state',
      (d) => d.transitions.push({ action: 'reopen', display: { zh: '重开', en: 'Reopen' }, from: ['done'], to: 'requested', by: {} }),
      /leaves final state 'done'/,
    ],
    [
      'unknown required field',
      (d) => ((d.transitions[1] as { requires: string[] }).requires = ['signature']),
      /requires unknown field 'signature'/,
    ],
    [
      'unknown target',
      (d) => ((d.transitions[0] as { notify: unknown[] }).notify = [{ who: 'boss' }]),
      /must have 'party', 'practitionerRole' or 'recipient'/,
    ],
    ['bad effective date', (d) => (d.effective = '2026-13-01'), /'effective' must be a date/],
    ['missing English text', (d) => (d.states.accepted.display = { zh: '已接收', en: '' }), /needs \{ zh, en \} texts/],
    [
      'dead end',
      (d) => {
        d.states.parked = { status: 'on-hold', display: { zh: '搁置', en: 'Parked' } };
        d.transitions.push({ action: 'park', display: { zh: '搁置', en: 'Park' }, from: ['requested'], to: 'parked', by: {} });
      },
      /'parked' is not final but no transition leaves it/,
    ],
  ];
  it.each(cases)('rejects %s', (_name, spoil, message) => {
    const d = clone();
    spoil(d);
    expect(() => validateDefinition(d)).toThrow(message);
    expect(() => validateDefinition(d)).toThrow(/workflow 'test-review' version '1'/);
  });

  it('picks the version in force on a date (China time) and keeps every version reachable by number', () => {
    const reg = new WorkflowRegistry();
    reg.add(reviewWorkflow('1', '2026-01-01'));
    reg.add(reviewWorkflow('2', '2026-12-01'));
    expect(reg.inForce('test-review', new Date('2025-12-31T00:00:00Z'))).toBeUndefined();
    expect(reg.inForce('test-review', new Date('2026-11-30T15:59:59Z'))?.version).toBe('1');
    // Midnight in Beijing is 16:00 UTC the day before.
    expect(reg.inForce('test-review', new Date('2026-11-30T16:00:00Z'))?.version).toBe('2');
    expect(reg.get('test-review', '1')?.effective).toBe('2026-01-01');
    expect(chinaDate(new Date('2026-11-30T16:00:00Z'))).toBe('2026-12-01');
  });

  it('computes due times per priority', () => {
    const t = { default: 'PT24H', urgent: 'PT2H' };
    expect(timingMs(t)).toBe(24 * 3600_000);
    expect(timingMs(t, 'urgent')).toBe(2 * 3600_000);
    expect(timingMs(t, 'stat')).toBe(24 * 3600_000);
    expect(timingMs('P1DT30M')).toBe(24.5 * 3600_000);
  });
});
