/**
 * The authentication routes against PGlite and PostgreSQL: logins, lockout, TOTP, refresh rotation, logout,
 * token refusals, session timeouts, client credentials and the bootstrap admin. Each test has its own tenant and
 * a controllable clock.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthenticator,
  createClient,
  createUser,
  disableUser,
  ensureBootstrapAdmin,
  loadAuthConfig,
  PasswordPolicyError,
  purgeEndedSessions,
  registerAuthRoutes,
  signToken,
  totpCode,
  unlockUser,
  type AuthConfig,
  type SecurityEvent,
} from '../src/platform/auth/index.js';
import { openDatabase, type Database } from '../src/platform/db/database.js';
import { migrate } from '../src/platform/db/migrate.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
type Engine = 'pglite' | 'postgres';
const ENGINES: Engine[] = (process.env.TEST_ENGINES?.split(',') as Engine[] | undefined) ?? ['pglite', 'postgres'];
const TOKEN_KEY = Buffer.alloc(32, 42).toString('hex');
const PASSWORD = 'Secret#2026a';

describe.each(ENGINES)('auth on %s', (engine) => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(engine === 'postgres' ? { databaseUrl: POSTGRES_URL, poolSize: 3 } : { memory: true });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  interface Ctx {
    app: FastifyInstance;
    tenant: string;
    config: AuthConfig;
    events: SecurityEvent[];
    advance(seconds: number): void;
    post(url: string, payload?: unknown, headers?: Record<string, string>): Promise<{ statusCode: number; json(): any; body: string }>;
    me(token: string): Promise<{ statusCode: number; json(): any; body: string }>;
    login(username?: string, password?: string, totp?: string): Promise<any>;
  }

  async function setup(overrides: Partial<AuthConfig> = {}, user = true): Promise<Ctx> {
    const tenant = `t-auth-${randomUUID()}`;
    let clock = Date.parse('2026-03-01T08:00:00Z');
    const events: SecurityEvent[] = [];
    const config = loadAuthConfig({ env: { YIWANG_TOKEN_KEY: TOKEN_KEY }, tenant, overrides });
    const app = Fastify({ logger: false });
    await registerAuthRoutes(app, { db, config, now: () => new Date(clock), onSecurityEvent: (e) => void events.push(e) });
    await app.ready();
    if (user) {
      await createUser(db, tenant, {
        username: 'zhang',
        password: PASSWORD,
        roles: ['village-doctor'],
        displayName: '张医生',
        organizationId: 'org-1',
        practitionerId: 'pr-1',
      });
    }
    const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url, payload: payload as any, headers });
    const me = (token: string) => app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } });
    const login = async (username = 'zhang', password = PASSWORD, totp?: string) => {
      const r = await post('/auth/login', { username, password, ...(totp ? { totp } : {}) });
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };
    return { app, tenant, config, events, advance: (s) => (clock += s * 1000), post, me, login };
  }

  it('logs in and answers /auth/me with the principal', async () => {
    const c = await setup();
    const r = await c.post('/auth/login', { username: 'zhang', password: PASSWORD });
    expect(r.statusCode).toBe(200);
    const t = r.json();
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(t.access_token.split('.')).toHaveLength(3);
    expect(t.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await c.me(t.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      kind: 'user',
      tenant: c.tenant,
      username: 'zhang',
      roles: ['village-doctor'],
      organizationId: 'org-1',
      practitionerId: 'pr-1',
      scopes: ['user/*.cruds'],
    });
    expect(c.events.map((e) => e.type)).toEqual(['login-success']);
    // The authenticator others wire into the FHIR routes gives the same principal.
    const auth = createAuthenticator({ db, config: c.config, now: () => new Date('2026-03-01T08:00:01Z') });
    const principal = await auth.authenticate({ headers: { authorization: `Bearer ${t.access_token}` }, ip: '10.0.0.1' } as any);
    expect(principal).toMatchObject({ subject: me.json().subject, sessionId: me.json().sessionId });
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const c = await setup();
    const wrong = await c.post('/auth/login', { username: 'zhang', password: 'Wrong#2026a' }, { 'x-forwarded-for': '1.2.3.4' });
    const unknown = await c.post('/auth/login', { username: 'nobody', password: 'Wrong#2026a' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error).toBe('invalid_grant');
    expect(c.events.map((e) => [e.type, e.reason])).toEqual([
      ['login-failure', 'bad-password'],
      ['login-failure', 'unknown-user'],
    ]);
    expect(c.events[0]!.sourceIp).toBeTruthy();
    const missing = await c.post('/auth/login', { username: 'zhang' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
  });

  it('enforces the password complexity rule on new users', async () => {
    const c = await setup({}, false);
    const attempt = (password: string) => createUser(db, c.tenant, { username: 'li', password, roles: ['pharmacist'] });
    await expect(attempt('Ab1!')).rejects.toThrow(PasswordPolicyError);
    await expect(attempt('abcdefgh12')).rejects.toThrow(/at least 3 of.*至少包含/);
    await expect(attempt('Li#2026-abc')).rejects.toThrow(/must not contain the username.*不能包含用户名/);
    await expect(createUser(db, c.tenant, { username: 'li', password: PASSWORD, roles: ['wizard'] })).rejects.toThrow(/unknown role/);
    await attempt(PASSWORD);
    await expect(attempt(PASSWORD)).rejects.toThrow(/taken/);
  });

  it('locks the account after 5 failures within 15 minutes, for 15 minutes', async () => {
    const c = await setup();
    const bad = () => c.post('/auth/login', { username: 'zhang', password: 'Wrong#2026a' });
    for (let i = 0; i < 4; i++) expect((await bad()).statusCode).toBe(401);
    const fifth = await bad();
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json()).toMatchObject({ error: 'account_locked' });
    expect(fifth.json().error_description).toMatch(/locked.*15 minute.*锁定/);
    // Even the right password is refused while locked.
    expect((await c.post('/auth/login', { username: 'zhang', password: PASSWORD })).statusCode).toBe(423);
    expect(c.events.filter((e) => e.type === 'account-locked')).toHaveLength(1);
    c.advance(15 * 60 + 1);
    await c.login();
  });

  it('forgets failures older than the window; an admin can unlock', async () => {
    const c = await setup();
    const bad = () => c.post('/auth/login', { username: 'zhang', password: 'Wrong#2026a' });
    for (let i = 0; i < 4; i++) expect((await bad()).statusCode).toBe(401);
    c.advance(15 * 60 + 1);
    for (let i = 0; i < 4; i++) expect((await bad()).statusCode).toBe(401);
    expect((await bad()).statusCode).toBe(423);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM auth_user WHERE tenant = $1', [c.tenant]);
    await unlockUser(db, c.tenant, rows[0]!.id);
    await c.login();
  });

  it('enrols TOTP and then requires a fresh code at login', async () => {
    const c = await setup();
    const t = await c.login();
    const auth = { authorization: `Bearer ${t.access_token}` };
    const setupRes = await c.post('/auth/totp/setup', undefined, auth);
    expect(setupRes.statusCode).toBe(200);
    const { secret, otpauth_uri } = setupRes.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_uri).toContain(`secret=${secret}`);
    const stored = await db.query<{ totp_secret: string }>('SELECT totp_secret FROM auth_user WHERE tenant = $1', [c.tenant]);
    expect(stored.rows[0]!.totp_secret).toMatch(/^v1:/);
    expect(stored.rows[0]!.totp_secret).not.toContain(secret);

    const now = Date.parse('2026-03-01T08:00:00Z');
    expect((await c.post('/auth/totp/enable', { code: '000000' }, auth)).statusCode).toBe(400);
    expect((await c.post('/auth/totp/enable', { code: totpCode(secret, now) }, auth)).statusCode).toBe(204);
    expect((await c.post('/auth/totp/setup', undefined, auth)).statusCode).toBe(409);

    const without = await c.post('/auth/login', { username: 'zhang', password: PASSWORD });
    expect(without.statusCode).toBe(401);
    expect(without.json().error).toBe('totp_required');
    // The code used to enable is spent.
    const replayEnable = await c.post('/auth/login', { username: 'zhang', password: PASSWORD, totp: totpCode(secret, now) });
    expect(replayEnable.json().error).toBe('invalid_totp');
    c.advance(30);
    const code = totpCode(secret, now + 30_000);
    await c.login('zhang', PASSWORD, code);
    const replay = await c.post('/auth/login', { username: 'zhang', password: PASSWORD, totp: code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error).toBe('invalid_totp');
    // Wrong password with a right code is still a wrong password.
    c.advance(30);
    const wrongPw = await c.post('/auth/login', { username: 'zhang', password: 'Wrong#2026a', totp: totpCode(secret, now + 60_000) });
    expect(wrongPw.json().error).toBe('invalid_grant');
  });

  it('rotates refresh tokens and revokes the session when one is used twice', async () => {
    const c = await setup();
    const first = await c.login();
    c.advance(60);
    const r1 = await c.post('/auth/refresh', { refresh_token: first.refresh_token });
    expect(r1.statusCode).toBe(200);
    const second = r1.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await c.me(second.access_token)).statusCode).toBe(200);
    const stored = await db.query<{ token_hash: string; used_at: unknown; replaced_by: string | null }>(
      'SELECT token_hash, used_at, replaced_by FROM auth_refresh_token WHERE tenant = $1 ORDER BY created_at',
      [c.tenant],
    );
    expect(stored.rows).toHaveLength(2);
    expect(stored.rows[0]!.replaced_by).toBe(stored.rows[1]!.token_hash);
    expect(stored.rows.map((r) => r.token_hash)).not.toContain(first.refresh_token);

    // Theft: the old refresh token comes back.
    const reuse = await c.post('/auth/refresh', { refresh_token: first.refresh_token });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().error).toBe('invalid_grant');
    expect(c.events.some((e) => e.type === 'refresh-reuse')).toBe(true);
    expect((await c.me(second.access_token)).statusCode).toBe(401);
    expect((await c.post('/auth/refresh', { refresh_token: second.refresh_token })).statusCode).toBe(400);
    expect((await c.post('/auth/refresh', { refresh_token: 'nonsense' })).statusCode).toBe(400);
  });

  it('logout ends the access and the refresh token at once', async () => {
    const c = await setup();
    const t = await c.login();
    expect((await c.me(t.access_token)).statusCode).toBe(200);
    const out = await c.post('/auth/logout', undefined, { authorization: `Bearer ${t.access_token}` });
    expect(out.statusCode).toBe(204);
    const after = await c.me(t.access_token);
    expect(after.statusCode).toBe(401);
    expect(after.json().error_description).toMatch(/session has ended/);
    expect((await c.post('/auth/refresh', { refresh_token: t.refresh_token })).statusCode).toBe(400);
    expect(c.events.map((e) => e.type)).toContain('logout');
    // Logout with only the refresh token.
    const t2 = await c.login();
    expect((await c.post('/auth/logout', { refresh_token: t2.refresh_token })).statusCode).toBe(204);
    expect((await c.me(t2.access_token)).statusCode).toBe(401);
  });

  it('refuses missing, malformed, tampered, wrong-audience and expired tokens with 401', async () => {
    const c = await setup();
    const t = await c.login();
    const missing = await c.app.inject({ method: 'GET', url: '/auth/me' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await c.me('not-a-token')).statusCode).toBe(401);
    const [h, p, s] = t.access_token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${s}`;
    const bad = await c.me(tampered);
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({ error: 'invalid_token', error_description: expect.stringMatching(/signature/) });
    expect(bad.body).not.toMatch(/at .*\.ts/);
    const otherAudience = signToken({ ...claims, aud: 'another-service' }, c.config.tokenKey);
    expect((await c.me(otherAudience)).json().error_description).toMatch(/audience/);
    const otherKey = signToken(claims, Buffer.alloc(32, 1));
    expect((await c.me(otherKey)).statusCode).toBe(401);
    c.advance(15 * 60);
    const expired = await c.me(t.access_token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error_description).toMatch(/expired/);
    const reasons = c.events.filter((e) => e.type === 'token-refused').map((e) => e.reason);
    expect(reasons).toEqual(['malformed', 'bad-signature', 'wrong-audience', 'bad-signature', 'expired']);
  });

  it('ends a session after the idle timeout, while activity keeps it alive', async () => {
    const c = await setup({ idleTimeoutSeconds: 10 * 60, accessTokenTtlSeconds: 60 * 60 });
    const t = await c.login();
    for (let i = 0; i < 3; i++) {
      c.advance(9 * 60);
      expect((await c.me(t.access_token)).statusCode).toBe(200);
    }
    c.advance(10 * 60 + 1);
    const idle = await c.me(t.access_token);
    expect(idle.statusCode).toBe(401);
    expect(idle.json().error_description).toMatch(/inactivity/);
    expect((await c.post('/auth/refresh', { refresh_token: t.refresh_token })).statusCode).toBe(400);
  });

  it('ends a session at the absolute timeout even with activity', async () => {
    const c = await setup({ absoluteTimeoutSeconds: 20 * 60 });
    const t = await c.login();
    c.advance(10 * 60);
    const r = await c.post('/auth/refresh', { refresh_token: t.refresh_token });
    expect(r.statusCode).toBe(200);
    const t2 = r.json();
    // The access token never outlives the session.
    expect(t2.expires_in).toBe(10 * 60);
    c.advance(9 * 60);
    expect((await c.me(t2.access_token)).statusCode).toBe(200);
    c.advance(61);
    expect((await c.me(t2.access_token)).statusCode).toBe(401);
    expect((await c.post('/auth/refresh', { refresh_token: t2.refresh_token })).statusCode).toBe(400);
  });

  it('ends the sessions of a disabled user at once', async () => {
    const c = await setup();
    const t = await c.login();
    expect((await c.me(t.access_token)).statusCode).toBe(200);
    const id = (await c.me(t.access_token)).json().subject;
    await disableUser(db, c.tenant, id);
    expect((await c.me(t.access_token)).statusCode).toBe(401);
    expect((await c.post('/auth/login', { username: 'zhang', password: PASSWORD })).statusCode).toBe(401);
  });

  it('issues client_credentials tokens to systems with the right secret only', async () => {
    const c = await setup({}, false);
    const { client, clientSecret } = await createClient(db, c.tenant, {
      clientId: 'his-1',
      name: 'County hospital HIS',
      scopes: ['system/Observation.cruds', 'system/Patient.rs'],
      organizationId: 'org-county',
    });
    expect(client.roles).toEqual(['system']);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const form = await c.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('his-1', clientSecret) },
      payload: 'grant_type=client_credentials',
    });
    expect(form.statusCode, form.body).toBe(200);
    expect(form.json()).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'system/Observation.cruds system/Patient.rs' });
    expect(form.json().refresh_token).toBeUndefined();
    expect(form.headers['cache-control']).toBe('no-store');
    const me = await c.me(form.json().access_token);
    expect(me.json()).toMatchObject({ kind: 'client', subject: 'his-1', roles: ['system'], organizationId: 'org-county' });

    const json = await c.post('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'his-1',
      client_secret: clientSecret,
      scope: 'system/Observation.rs',
    });
    expect(json.statusCode).toBe(200);
    expect(json.json().scope).toBe('system/Observation.rs');

    const wrong = await c.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('his-1', 'not-the-secret') },
      payload: 'grant_type=client_credentials',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe('invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    const unknown = await c.post('/oauth2/token', { grant_type: 'client_credentials', client_id: 'lis-9', client_secret: clientSecret });
    expect(unknown.statusCode).toBe(401);
    const tooMuch = await c.post('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'his-1',
      client_secret: clientSecret,
      scope: 'system/*.cruds',
    });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json().error).toBe('invalid_scope');
    const grant = await c.post('/oauth2/token', { grant_type: 'password', username: 'x', password: 'y' });
    expect(grant.json().error).toBe('unsupported_grant_type');
  });

  it('lets a user change their password under the complexity rule, ending their sessions', async () => {
    const c = await setup();
    const t = await c.login();
    const auth = { authorization: `Bearer ${t.access_token}` };
    const weak = await c.post('/auth/password', { current_password: PASSWORD, new_password: 'password' }, auth);
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error).toBe('invalid_password');
    expect(weak.json().error_description).toMatch(/at least 3 of.*至少包含/);
    const wrongCurrent = await c.post('/auth/password', { current_password: 'Wrong#2026a', new_password: 'Better#2026b' }, auth);
    expect(wrongCurrent.json().error).toBe('invalid_grant');
    expect((await c.post('/auth/password', { current_password: PASSWORD, new_password: 'Better#2026b' }, auth)).statusCode).toBe(204);
    expect((await c.me(t.access_token)).statusCode).toBe(401);
    expect((await c.post('/auth/login', { username: 'zhang', password: PASSWORD })).statusCode).toBe(401);
    await c.login('zhang', 'Better#2026b');
    expect(c.events.map((e) => e.type)).toContain('password-changed');
  });

  it('answers malformed requests in OAuth2 error form, without stack traces', async () => {
    const c = await setup();
    const badJson = await c.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    const xml = await c.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error).toBe('invalid_request');
    const form = await c.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=zhang&password=${encodeURIComponent(PASSWORD)}`,
    });
    expect(form.statusCode).toBe(200);
  });

  it('purges ended sessions and their refresh tokens', async () => {
    const c = await setup();
    const t = await c.login();
    await c.post('/auth/logout', undefined, { authorization: `Bearer ${t.access_token}` });
    await purgeEndedSessions(db, new Date(Date.parse('2026-03-01T08:00:00Z') + 1000));
    const left = await db.query(
      'SELECT 1 FROM auth_session WHERE tenant = $1 UNION ALL SELECT 1 FROM auth_refresh_token WHERE tenant = $1',
      [c.tenant],
    );
    expect(left.rows).toHaveLength(0);
  });

  it('creates the bootstrap admin only when the tenant has no users', async () => {
    const c = await setup({}, false);
    expect(await ensureBootstrapAdmin(db, c.tenant, 'Root#Start2026')).toBe(true);
    expect(await ensureBootstrapAdmin(db, c.tenant, 'Other#Start2026')).toBe(false);
    const t = await c.login('admin', 'Root#Start2026');
    expect((await c.me(t.access_token)).json().roles).toEqual(['admin']);
    const withUsers = await setup();
    expect(await ensureBootstrapAdmin(db, withUsers.tenant, 'Root#Start2026')).toBe(false);
    expect((await withUsers.post('/auth/login', { username: 'admin', password: 'Root#Start2026' })).statusCode).toBe(401);
    // Through the plugin, as the server does with YIWANG_ADMIN_PASSWORD.
    const tenant = `t-auth-${randomUUID()}`;
    const config = loadAuthConfig({ env: { YIWANG_TOKEN_KEY: TOKEN_KEY, YIWANG_ADMIN_PASSWORD: 'Boot#Strap2026' }, tenant });
    const app = Fastify({ logger: false });
    await registerAuthRoutes(app, { db, config });
    const r = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'admin', password: 'Boot#Strap2026' } });
    expect(r.statusCode).toBe(200);
  });
});
