/**
 * The authentication routes as the running server exposes them, with security events written to the
 * audit trail's hash chain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/platform/auth/index.js';
import { closeApps, ENGINES, testClient } from './helpers/db.js';

afterAll(closeApps);

describe.each(ENGINES)('sign-in on the running server (%s)', (engine) => {
  it('issues tokens, refuses wrong passwords, and audits both', async () => {
    const c = await testClient(engine);
    await createUser(c.yiwang.db, c.tenant, {
      username: 'dr.wang',
      password: 'Cun-Yi-2026!',
      roles: ['village-doctor'],
      organizationId: 'V1',
    });
    const json = { 'content-type': 'application/json' };
    const ok = await c.request('POST', '/auth/login', JSON.stringify({ username: 'dr.wang', password: 'Cun-Yi-2026!' }), json);
    expect(ok.statusCode).toBe(200);
    const token = ok.json().access_token as string;
    expect(token.split('.')).toHaveLength(3);
    const me = await c.request('GET', '/auth/me', undefined, { authorization: `Bearer ${token}` });
    expect(me.statusCode).toBe(200);
    expect(me.json().roles).toEqual(['village-doctor']);
    const bad = await c.request('POST', '/auth/login', JSON.stringify({ username: 'dr.wang', password: 'wrong' }), json);
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('invalid_grant');

    await c.yiwang.audit.flush();
    const { events } = await c.yiwang.audit.query({ tenant: c.tenant });
    // Newest first: the refused password, then the sign-in.
    expect(events.map((e) => [e.action, e.userDisplay])).toEqual([
      ['login-failure', 'dr.wang'],
      ['login', 'dr.wang'],
    ]);
    expect((await c.yiwang.audit.verify(c.tenant)).ok).toBe(true);
  });
});
