/** Pure logic of the care-coordination pages: the SSE parser, the live badge count, alert links, referral targets. */
import { describe, expect, it } from 'vitest';
import { backoff, SseParser } from './notify/sse';
import { withArrival, type Notification } from './notify/api';
import { taskIdOf } from './critical-values/api';
import { departmentsOf, parseDiagnosis, targetsFor } from './referral/institutions';
import { durationMinutes, inLanguage } from './api/format';
import type { Organization } from './api/types';

describe('Server-Sent Events parser', () => {
  it('splits events across chunks, joins data lines, skips heartbeats, accepts CRLF', () => {
    const p = new SseParser();
    expect(p.push('event: count\ndata: {"total":2,')).toEqual([]);
    expect(p.push('"byCategory":{}}\n\n: heartbeat\n\n')).toEqual([{ event: 'count', data: '{"total":2,"byCategory":{}}' }]);
    expect(p.push('event: notification\r\ndata: a\r')).toEqual([]);
    expect(p.push('\ndata: b\r\n\r\n')).toEqual([{ event: 'notification', data: 'a\nb' }]);
    expect(p.push('data: plain\n\n')).toEqual([{ event: 'message', data: 'plain' }]);
  });

  it('backs off from 1 s doubling to 30 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoff(n, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe('live badge and alert links', () => {
  const n = (category: string, readAt?: string): Notification => ({
    id: 'x',
    recipient: 'Practitioner/p',
    category,
    priority: 'stat',
    title: 't',
    body: '',
    createdAt: '2026-12-05T08:00:00Z',
    ...(readAt ? { readAt } : {}),
  });
  it('counts an unread arrival in the total and its category', () => {
    expect(withArrival({ total: 2, byCategory: { referral: 2 } }, n('critical-value'))).toEqual({
      total: 3,
      byCategory: { referral: 2, 'critical-value': 1 },
    });
    expect(withArrival(undefined, n('task', '2026-12-05T08:01:00Z'))).toEqual({ total: 0, byCategory: {} });
  });
  it('finds the alert of a critical-value notification by its link or focus', () => {
    expect(taskIdOf({ link: '/critical-values/abc-1' })).toBe('abc-1');
    expect(taskIdOf({ focus: 'Task/abc-2' })).toBe('abc-2');
    expect(taskIdOf({ link: '/referrals/9' })).toBeUndefined();
  });
  it('shows the part of a bilingual server message in the chosen language', () => {
    expect(inLanguage('已通知负责医生 Responsible doctor notified', 'zh')).toBe('已通知负责医生');
    expect(inLanguage('已通知负责医生 Responsible doctor notified', 'en')).toBe('Responsible doctor notified');
    const m = 'Read-back value 5.8 does not match 6.8 mmol/L (复述数值不符，应为 6.8 mmol/L)';
    expect(inLanguage(m, 'zh')).toBe('复述数值不符，应为 6.8 mmol/L');
    expect(inLanguage('plain', 'zh')).toBe('plain');
    expect(inLanguage('上转：发起 (start)', 'zh')).toBe('上转：发起');
    expect(inLanguage('上转：发起 (start)', 'en')).toBe('start');
    expect(durationMinutes('PT15M')).toBe(15);
    expect(durationMinutes('PT1H30M')).toBe(90);
    expect(durationMinutes('P1D')).toBe(1440);
    expect(durationMinutes('soon')).toBeUndefined();
  });
});

describe('referral targets', () => {
  const org = (id: string, code: string, partOf?: string, name = id): Organization => ({
    resourceType: 'Organization',
    id,
    name,
    type: [
      { coding: [{ system: code === 'dept' ? 'http://terminology.hl7.org/CodeSystem/organization-type' : 'urn:yiwang:org-type', code }] },
    ],
    ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
  });
  const orgs = [
    org('county', 'county-hospital', 'community', '县医院'),
    org('cardio', 'dept', 'county', '县医院心血管内科'),
    org('town', 'township-health-centre', 'community'),
    org('village', 'village-clinic', 'town'),
    org('cdc', 'cdc'),
    org('community', 'medical-community', 'commission'),
    org('commission', 'county-commission'),
    org('city', 'county-hospital', undefined, '市医院'),
  ];
  it('up from a township: county hospitals; from a village: also the township; down: township and village', () => {
    expect(targetsFor(orgs, 'up', 'town').map((o) => o.id)).toEqual(['county']);
    expect(targetsFor(orgs, 'up', 'village').map((o) => o.id)).toEqual(['county', 'town']);
    expect(targetsFor(orgs, 'down', 'cardio').map((o) => o.id)).toEqual(['town', 'village']);
    // Outside the county's tree only, and no agencies.
    expect(targetsFor(orgs, 'external', 'town').map((o) => o.id)).toEqual(['city']);
  });
  it('departments of the receiving hospital by their short name', () => {
    expect(departmentsOf(orgs, 'Organization/county')).toEqual([{ value: 'Organization/cardio', label: '心血管内科' }]);
    expect(departmentsOf(orgs, undefined)).toEqual([]);
  });
  it('reads a typed diagnosis as code and name, either way round', () => {
    expect(parseDiagnosis('n18.5 慢性肾脏病5期')).toEqual({ code: 'N18.5', display: '慢性肾脏病5期' });
    expect(parseDiagnosis('高血压 I10')).toEqual({ code: 'I10', display: '高血压' });
    expect(parseDiagnosis('高血压')).toEqual({ display: '高血压' });
  });
});
