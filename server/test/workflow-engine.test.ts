/**
 * The workflow engine through its HTTP API and its job handlers, on both engines, with a ManualClock: every transition
 * rule allowed and refused, due times, escalation timing, a rule version change and a restart in the middle of a task.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provenance, Task } from '@medplum/fhirtypes';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import type { Actor } from '../src/platform/workflow/actor.js';
import { adminClient, clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import { workflowCommunity } from './helpers/community.js';
import { buildCommunity, communityUsers, reviewWorkflow, type Community } from './workflow-fixtures.js';

const HOUR = 3600_000;

describe.each(ENGINES)('workflow engine on %s', (engine) => {
  const clock = new ManualClock(new Date());
  let yiwang: YiwangApp;
  let admin: TestClient;
  let c: Community;
  let u: Awaited<ReturnType<typeof communityUsers>>;
  let requester: Actor;

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
    yiwang.workflows.define(reviewWorkflow());
    ({ admin, c, u } = await workflowCommunity(yiwang));
    requester = { userId: 'u-township', practitionerId: c.practitioners.township, organizationId: c.ids.T1, roles: ['township-doctor'] };
  }, 300_000);
  afterAll(async () => {
    await yiwang?.close();
  });

  const start = async (priority: 'routine' | 'urgent' = 'routine') =>
    (
      await yiwang.workflows.start(yiwang.systemRepository(c.tenant), requester, {
        workflow: 'test-review',
        focus: `ServiceRequest/${c.serviceRequest}`,
        for: `Patient/${c.patient}`,
        owner: `Organization/${c.ids.H}`,
        description: '胸痛待查 (chest pain)',
        priority,
      })
    ).task;
  const act = (client: TestClient, id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    client.request('POST', `/api/tasks/${id}/transition`, body, { 'content-type': 'application/json', ...headers });
  const read = async (id: string) => (await yiwang.systemRepository(c.tenant).read('Task', id)) as Task;
  const text = (res: { json(): any }) => JSON.stringify(res.json());
  const provenances = async (id: string) =>
    yiwang
      .systemRepository(c.tenant)
      .query<{ content: string }>('SELECT content FROM "Provenance" WHERE tenant = $1 AND p_target && $2::text[]', [
        c.tenant,
        [`Task/${id}`],
      ]);

  it('starts a task as a FHIR Task with the version it runs under, a Provenance and a due time', async () => {
    const task = await start();
    expect(task.status).toBe('requested');
    expect(task.businessStatus?.coding?.[0]).toMatchObject({ code: 'requested', display: '待审核' });
    expect(task.instantiatesCanonical).toBe('https://yiwang.cn/fhir/workflow/test-review|1');
    expect(Date.parse(task.restriction?.period?.end as string) - clock.now().getTime()).toBe(24 * HOUR);
    expect(await provenances(task.id as string)).toHaveLength(1);
    // Readable as a plain FHIR Task: "open tasks" is a search.
    const bundle = (await admin.get(`Task?status=requested&owner=Organization/${c.ids.H}`)).json() as any;
    expect(bundle.entry.map((e: any) => e.resource.id)).toContain(task.id);
    const urgent = await start('urgent');
    expect(Date.parse(urgent.restriction?.period?.end as string) - clock.now().getTime()).toBe(2 * HOUR);
  });

  it('refuses what the rules do not allow and writes nothing', async () => {
    const task = await start();
    const id = task.id as string;
    // A third institution cannot see the resident: 404 for reading and acting.
    expect((await u.other.get(`/api/tasks/${id}`)).statusCode).toBe(404);
    expect((await act(u.other, id, { action: 'accept' })).statusCode).toBe(404);
    // Wrong role (the requester is a township doctor).
    const wrongRole = await act(u.township, id, { action: 'accept' });
    expect(wrongRole.statusCode).toBe(403);
    expect(text(wrongRole)).toContain('county-specialist');
    // Right role, wrong institution (a county specialist at the village clinic sees the resident but is not the owner).
    const wrongPlace = await act(u.countyAtVillage, id, { action: 'accept' });
    expect(wrongPlace.statusCode).toBe(403);
    expect(text(wrongPlace)).toContain('接收方');
    // Missing reason.
    const noReason = await act(u.county, id, { action: 'reject' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().issue[0].expression).toEqual(['reason']);
    // Handing the task to another institution is not part of 'accept'.
    const handOver = await act(u.county, id, { action: 'accept', owner: `Organization/${c.ids.T2}` });
    expect(handOver.statusCode).toBe(400);
    expect(handOver.json().issue[0].expression).toEqual(['owner']);
    // Wrong state.
    expect((await act(u.county, id, { action: 'complete' })).statusCode).toBe(409);
    // Unknown action, no action.
    expect((await act(u.county, id, { action: 'teleport' })).statusCode).toBe(400);
    expect((await act(u.county, id, {})).statusCode).toBe(400);
    const after = await read(id);
    expect(after.meta?.versionId).toBe(task.meta?.versionId);
    expect(await provenances(id)).toHaveLength(1);
  });

  it('lets the owner institution (or one below it) accept, records who/when/why and notifies the requester', async () => {
    const task = await start();
    const id = task.id as string;
    const seen = (await u.dept.get(`/api/tasks/${id}`)).json() as any;
    expect(seen.allowedActions.map((a: any) => a.action).sort()).toEqual(['accept', 'reject']);
    expect((await u.township.get(`/api/tasks/${id}`)).json().allowedActions.map((a: any) => a.action)).toEqual(['cancel']);
    clock.advance('PT30M');
    // A stale version: 409.
    expect((await act(u.dept, id, { action: 'accept' }, { 'if-match': 'W/"0"' })).statusCode).toBe(409);
    const res = await act(u.dept, id, { action: 'accept', note: '安排心内科门诊' }, { 'if-match': `W/"${task.meta?.versionId}"` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as any;
    expect(body.task.status).toBe('accepted');
    expect(body.state.code).toBe('accepted');
    expect(Date.parse(body.due) - clock.now().getTime()).toBe(24 * HOUR);
    expect(body.history.map((h: any) => h.action)).toEqual(['start', 'accept']);
    expect(body.history[1]).toMatchObject({
      who: `Practitioner/${c.practitioners.dept}`,
      onBehalfOf: `Organization/${c.ids.HD}`,
      at: clock.now().toISOString(),
    });
    expect(body.task.note[0].text).toBe('安排心内科门诊');
    const prov = (await provenances(id))
      .map((r) => JSON.parse(r.content) as Provenance)
      .find((p) => p.activity?.coding?.[0].code === 'accept');
    expect(prov?.target?.[0].reference).toBe(`Task/${id}/_history/2`);
    const inbox = await yiwang.notifier.inbox(c.tenant, [`Practitioner/${c.practitioners.township}`]);
    expect(inbox.some((n) => n.focus === `Task/${id}` && n.title.includes('接收'))).toBe(true);
    // Once accepted, accepting again is a wrong-state refusal.
    expect((await act(u.county, id, { action: 'accept' })).statusCode).toBe(409);
    // The requester (a village doctor below the requesting township counts too) cancels, with a reason.
    expect((await act(u.village, id, { action: 'cancel' })).statusCode).toBe(400);
    const cancelled = await act(u.village, id, { action: 'cancel', reason: '患者拒绝转诊' });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().task.status).toBe('cancelled');
    expect(cancelled.json().task.statusReason.text).toBe('患者拒绝转诊');
    expect(cancelled.json().allowedActions).toEqual([]);
    expect(cancelled.json().task.executionPeriod.end).toBe(clock.now().toISOString());
  });

  it('lets only one of two concurrent transitions through (the other gets 409)', async () => {
    const task = await start();
    const results = await Promise.all([
      act(u.county, task.id as string, { action: 'accept' }),
      act(u.dept, task.id as string, { action: 'reject', reason: '重复' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await provenances(task.id as string)).toHaveLength(2);
  });

  it('lists worklists with counts per view, within the caller’s access', async () => {
    const task = await start('urgent');
    const county = (await u.county.get('/api/tasks?view=institution&workflow=test-review&count=200')).json() as any;
    expect(county.items.some((i: any) => i.task.id === task.id)).toBe(true);
    const item = county.items.find((i: any) => i.task.id === task.id);
    expect(item.patient.display).toBe('刘德华');
    expect(item.focus.summary).toBe('测试申请 (test request)');
    expect(item.allowedActions.map((a: any) => a.action).sort()).toEqual(['accept', 'reject']);
    expect(county.counts.institution).toBeGreaterThanOrEqual(1);
    // The department's "institution" view holds only its own subtree: the hospital's queue is not below it.
    const dept = (await u.dept.get('/api/tasks?view=institution&workflow=test-review')).json() as any;
    expect(dept.items.some((i: any) => i.task.id === task.id)).toBe(false);
    const mine = (await u.county.get('/api/tasks?view=mine&workflow=test-review&count=200')).json() as any;
    expect(mine.items.some((i: any) => i.task.id === task.id)).toBe(true);
    const requested = (await u.township.get('/api/tasks?view=requested&workflow=test-review&count=200')).json() as any;
    expect(requested.items.some((i: any) => i.task.id === task.id)).toBe(true);
    expect(requested.counts.requested).toBe(requested.items.length);
    const other = (await u.other.get('/api/tasks?view=institution')).json() as any;
    expect(other.items).toEqual([]);
    expect(other.counts).toEqual({ mine: 0, institution: 0, overdue: 0, requested: 0 });
    expect((await u.county.get('/api/tasks?view=everything')).statusCode).toBe(400);
    const overdueBefore = (await u.county.get('/api/tasks?view=overdue&workflow=test-review&count=200')).json() as any;
    expect(overdueBefore.items.some((i: any) => i.task.id === task.id)).toBe(false);
    clock.advance('PT2H1M');
    const overdue = (await u.county.get('/api/tasks?view=overdue&workflow=test-review&count=200')).json() as any;
    const late = overdue.items.find((i: any) => i.task.id === task.id);
    expect(late.overdue).toBe(true);
    // Leave no due jobs behind for the escalation test.
    expect((await act(u.county, task.id as string, { action: 'reject', reason: '床位已满' })).statusCode).toBe(200);
  });

  it('escalates at the deadline, then to the next level, once each, and not after the task is handled', async () => {
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    const task = await start('urgent');
    const id = task.id as string;
    const escalations = async () =>
      (await provenances(id)).map((r) => JSON.parse(r.content) as Provenance).filter((p) => p.activity?.coding?.[0].code === 'escalate');
    const ownerInbox = async () =>
      (await yiwang.notifier.inbox(c.tenant, [`Organization/${c.ids.H}`], { category: 'escalation' })).filter(
        (n) => n.focus === `Task/${id}`,
      );
    const affairsInbox = async () =>
      (await yiwang.notifier.inbox(c.tenant, [`Practitioner/${c.practitioners.affairs}`], { category: 'escalation' })).filter(
        (n) => n.focus === `Task/${id}`,
      );
    clock.advance('PT1H59M');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations()).toHaveLength(0);
    clock.advance('PT1M');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations()).toHaveLength(1);
    expect((await read(id)).extension?.find((e) => e.url.endsWith('task-escalation-level'))?.valueInteger).toBe(1);
    expect(await ownerInbox()).toHaveLength(1);
    expect((await ownerInbox())[0].priority).toBe('urgent');
    expect(await affairsInbox()).toHaveLength(0);
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations()).toHaveLength(1);
    clock.advance('PT2H');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    expect(await escalations()).toHaveLength(2);
    // Nobody holds medical-affairs at the hospital: the chain climbs to the community's office.
    expect(await affairsInbox()).toHaveLength(1);
    const detail = (await u.county.get(`/api/tasks/${id}`)).json() as any;
    expect(detail.escalationLevel).toBe(2);
    expect(detail.history.filter((h: any) => h.action === 'escalate')).toHaveLength(2);
    // A task handled in time never escalates.
    const handled = await start('urgent');
    clock.advance('PT1H');
    expect((await act(u.county, handled.id as string, { action: 'accept' })).statusCode).toBe(200);
    clock.advance('PT5H');
    await yiwang.scheduler.runDue({ tenant: c.tenant });
    const handledEsc = (await provenances(handled.id as string)).filter((r) => r.content.includes('"escalate"'));
    expect(handledEsc).toHaveLength(0);
    expect((await yiwang.scheduler.pending(c.tenant, `wf:${handled.id}:`)).map((j) => j.key)).toEqual([`wf:${handled.id}:1:due`]);
  });

  it('keeps a running task on the rule version it started with', async () => {
    const now = clock.now();
    const later = new Date(now.getTime() + 10 * 24 * HOUR + 8 * HOUR).toISOString().slice(0, 10);
    const v2 = reviewWorkflow('2', later);
    v2.states.accepted.due = 'PT12H';
    v2.transitions = v2.transitions.map((t) => (t.action === 'reject' ? { ...t, requires: [] } : t));
    yiwang.workflows.define(v2);
    const old = await start();
    clock.advance('P11D');
    const fresh = await start();
    expect(old.instantiatesCanonical).toBe('https://yiwang.cn/fhir/workflow/test-review|1');
    expect(fresh.instantiatesCanonical).toBe('https://yiwang.cn/fhir/workflow/test-review|2');
    expect((await u.county.get('/api/workflows')).json().items.find((d: any) => d.id === 'test-review').version).toBe('2');
    // v1 still asks for a reason; v2 does not.
    expect((await act(u.county, old.id as string, { action: 'reject' })).statusCode).toBe(400);
    expect((await act(u.county, fresh.id as string, { action: 'reject' })).statusCode).toBe(200);
    const accepted = (await act(u.county, old.id as string, { action: 'accept' })).json() as any;
    expect(Date.parse(accepted.due) - clock.now().getTime()).toBe(24 * HOUR);
    await yiwang.scheduler.runDue({ tenant: c.tenant });
  });
});

describe.each(ENGINES)('workflow restart on %s', (engine) => {
  it('fires a pending escalation exactly once after the server restarts mid-workflow', async () => {
    const dir = engine === 'pglite' ? mkdtempSync(join(tmpdir(), 'yiwang-wf-')) : undefined;
    const clock = new ManualClock(new Date());
    let first: YiwangApp | undefined = await clockedApp(engine, clock, dir);
    let second: YiwangApp | undefined;
    try {
      first.workflows.define(reviewWorkflow());
      const admin = await adminClient(first);
      const c = await buildCommunity(first, admin.tenant);
      const requester: Actor = {
        userId: 'u1',
        practitionerId: c.practitioners.township,
        organizationId: c.ids.T1,
        roles: ['township-doctor'],
      };
      const { task } = await first.workflows.start(first.systemRepository(c.tenant), requester, {
        workflow: 'test-review',
        focus: `ServiceRequest/${c.serviceRequest}`,
        for: `Patient/${c.patient}`,
        owner: `Organization/${c.ids.H}`,
        priority: 'urgent',
      });
      clock.advance('PT1H');
      await first.scheduler.runDue({ tenant: c.tenant });
      await first.close();
      first = undefined;
      // The new process: its own clock (same time line), the workflow registered again by its module code.
      const clock2 = new ManualClock(clock.now());
      second = await clockedApp(engine, clock2, dir);
      second.workflows.define(reviewWorkflow());
      clock2.advance('PT1H');
      await second.scheduler.runDue({ tenant: c.tenant });
      await second.scheduler.runDue({ tenant: c.tenant });
      const repo = second.systemRepository(c.tenant);
      const esc = (
        await repo.query<{ content: string }>('SELECT content FROM "Provenance" WHERE tenant = $1 AND p_target && $2::text[]', [
          c.tenant,
          [`Task/${task.id}`],
        ])
      ).filter((r) => r.content.includes('"escalate"'));
      expect(esc).toHaveLength(1);
      const notes = (await second.notifier.inbox(c.tenant, [`Organization/${c.ids.H}`], { category: 'escalation' })).filter(
        (n) => n.focus === `Task/${task.id}`,
      );
      expect(notes).toHaveLength(1);
      // And the next level is still pending, to fire at 4 h.
      expect((await second.scheduler.pending(c.tenant, `wf:${task.id}:`)).map((j) => j.key)).toEqual([`wf:${task.id}:0:esc:2`]);
    } finally {
      await first?.close();
      await second?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
