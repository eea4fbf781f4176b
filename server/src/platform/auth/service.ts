/**
 * The authentication logic behind the routes: logins (password, lockout, TOTP), sessions, access and refresh
 * tokens, OAuth2 client credentials and token verification.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { decryptField, encryptField, FieldCryptoError } from '../crypto/field.js';
import { sm3Hex } from '../crypto/sm3.js';
import type { Database, Queryable } from '../db/database.js';
import type { AuthConfig } from './config.js';
import { assertPasswordComplexity, PasswordPolicyError, verifyDummyPassword, verifyPassword } from './password.js';
import { ROLES } from './roles.js';
import { scopeCovers, splitScopes } from './scopes.js';
import { getCachedSession, invalidateSession, putCachedSession, type CachedSession } from './session-cache.js';
import { findClient, findUser, findUserByUsername, setPassword, type UserRecord, type UserSecrets } from './store.js';
import { signToken, TokenError, verifyToken, type AccessClaims } from './token.js';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.js';

export interface Principal {
  kind: 'user' | 'client';
  tenant: string;
  /** User id or client id. */
  subject: string;
  username?: string;
  roles: string[];
  scopes: string[];
  organizationId?: string;
  practitionerId?: string;
  patientId?: string;
  sessionId: string;
}

export type SecurityEventType =
  'login-success' | 'login-failure' | 'account-locked' | 'token-refused' | 'logout' | 'refresh-reuse' | 'totp-enabled' | 'password-changed';

export interface SecurityEvent {
  type: SecurityEventType;
  at: Date;
  tenant: string;
  username?: string;
  userId?: string;
  clientId?: string;
  sessionId?: string;
  sourceIp?: string;
  /** Why (failures and refusals): e.g. 'bad-password', 'unknown-user', 'expired', 'idle-timeout'. */
  reason?: string;
}

/** An answer in OAuth2 error form: `{ "error": code, "error_description": message }` with an HTTP status. */
export class AuthError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'AuthError';
  }

  /** Same as statusCode, for handlers that read `status`. */
  get status(): number {
    return this.statusCode;
  }
}

export interface AuthDeps {
  db: Database;
  config: AuthConfig;
  now?: () => Date;
  onSecurityEvent?: (e: SecurityEvent) => void | Promise<void>;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

const INVALID_LOGIN = 'Invalid username or password. 用户名或密码错误。';

interface SessionRow {
  id: string;
  user_id: string | null;
  client_id: string | null;
  created_at: Date;
  last_seen: Date;
  expires_at: Date;
  revoked_at: Date | null;
  username: string | null;
  user_roles: string[] | null;
  user_status: string | null;
  user_org: string | null;
  practitioner_id: string | null;
  patient_id: string | null;
  client_roles: string[] | null;
  client_status: string | null;
  client_org: string | null;
}

const ms = (d: Date | string) => new Date(d).getTime();
const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export class AuthService {
  readonly db: Database;
  readonly config: AuthConfig;
  private readonly clock: () => Date;
  private readonly onEvent?: (e: SecurityEvent) => void | Promise<void>;

  constructor(deps: AuthDeps) {
    this.db = deps.db;
    this.config = deps.config;
    this.clock = deps.now ?? (() => new Date());
    this.onEvent = deps.onSecurityEvent;
  }

  now(): Date {
    return this.clock();
  }

  tenantOf(request: FastifyRequest): string {
    return this.config.tenantFor?.(request) ?? this.config.tenant;
  }

  async emit(e: Omit<SecurityEvent, 'at'>): Promise<void> {
    if (!this.onEvent) return;
    try {
      await this.onEvent({ ...e, at: this.now() });
    } catch {
      // The audit sink must not break authentication; it reports its own failures.
    }
  }

  // ── logins ────────────────────────────────────────────────────────────────────────────────────

  async login(input: { tenant: string; username: unknown; password: unknown; totp?: unknown; ip?: string }): Promise<TokenResponse> {
    const { tenant, ip } = input;
    if (typeof input.username !== 'string' || typeof input.password !== 'string' || input.username === '' || input.password === '') {
      throw new AuthError(400, 'invalid_request', 'username and password are required. 请输入用户名和密码。');
    }
    const username = input.username;
    const password = input.password;
    const now = this.now();
    const user = await findUserByUsername(this.db, tenant, username);
    if (!user || user.status !== 'active') {
      await verifyDummyPassword(password);
      await this.emit({
        type: 'login-failure',
        tenant,
        username,
        sourceIp: ip,
        reason: user ? 'disabled' : 'unknown-user',
        userId: user?.id,
      });
      throw new AuthError(401, 'invalid_grant', INVALID_LOGIN);
    }
    if (user.lockedUntil && user.lockedUntil.getTime() > now.getTime()) {
      await verifyDummyPassword(password);
      await this.emit({ type: 'login-failure', tenant, username, userId: user.id, sourceIp: ip, reason: 'locked' });
      throw this.lockedError(user.lockedUntil, now);
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      await this.recordFailure(user, now, ip, 'bad-password');
      throw new AuthError(401, 'invalid_grant', INVALID_LOGIN);
    }
    if (user.totpEnabled) {
      if (input.totp === undefined || input.totp === null || input.totp === '') {
        await this.emit({ type: 'login-failure', tenant, username, userId: user.id, sourceIp: ip, reason: 'totp-required' });
        throw new AuthError(401, 'totp_required', 'A one-time code (totp) is required for this account. 该账户需要输入动态验证码。');
      }
      const ok = typeof input.totp === 'string' && (await this.consumeTotp(user, input.totp, now));
      if (!ok) {
        await this.recordFailure(user, now, ip, 'bad-totp');
        throw new AuthError(401, 'invalid_totp', 'The one-time code is wrong, expired or already used. 动态验证码错误、过期或已被使用。');
      }
    }
    if (user.failedLogins > 0 || user.lockedUntil) {
      await this.db.query(
        'UPDATE auth_user SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL WHERE tenant = $1 AND id = $2',
        [tenant, user.id],
      );
    }
    const tokens = await this.openSession(user, ip);
    await this.emit({ type: 'login-success', tenant, username, userId: user.id, sessionId: tokens.sessionId, sourceIp: ip });
    return tokens.response;
  }

  /**
   * Opens a session for a user whose identity is already established (after the password and second factor,
   * or by the platform itself, e.g. test fixtures) and issues its first token pair.
   */
  async openSession(user: UserRecord, ip?: string): Promise<{ sessionId: string; response: TokenResponse }> {
    const tenant = user.tenant;
    const now = this.now();
    const scopes = user.roles.includes(ROLES.resident) && user.roles.length === 1 ? this.config.residentScopes : this.config.userScopes;
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.absoluteTimeoutSeconds * 1000);
    const refreshToken = newRefreshToken();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO auth_session (tenant, id, user_id, created_at, last_seen, expires_at, source_ip) VALUES ($1, $2, $3, $4, $4, $5, $6)`,
        [tenant, sessionId, user.id, now, expiresAt, ip ?? null],
      );
      await insertRefreshToken(tx, tenant, refreshToken, sessionId, now, expiresAt);
    });
    return {
      sessionId,
      response: { ...this.issue(tenant, user.id, user.roles, sessionId, scopes, now, expiresAt), refresh_token: refreshToken },
    };
  }

  private lockedError(until: Date, now: Date): AuthError {
    const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
    return new AuthError(
      423,
      'account_locked',
      `The account is locked after too many failed logins; try again in ${minutes} minute(s). 账户因多次登录失败已被锁定，请 ${minutes} 分钟后再试。`,
    );
  }

  /** Counts a failed login in the window; locks the account when the limit is reached (throws the 423 then). */
  private async recordFailure(user: UserSecrets, now: Date, ip: string | undefined, reason: string): Promise<void> {
    const { maxFailures, windowSeconds, lockSeconds } = this.config.lockout;
    const windowStart = new Date(now.getTime() - windowSeconds * 1000);
    const r = await this.db.query<{ failed_logins: number }>(
      `UPDATE auth_user SET
         failed_logins = CASE WHEN first_failed_at IS NULL OR first_failed_at <= $3 THEN 1 ELSE failed_logins + 1 END,
         first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at <= $3 THEN $4 ELSE first_failed_at END
       WHERE tenant = $1 AND id = $2 RETURNING failed_logins`,
      [user.tenant, user.id, windowStart, now],
    );
    await this.emit({ type: 'login-failure', tenant: user.tenant, username: user.username, userId: user.id, sourceIp: ip, reason });
    const failures = r.rows[0]?.failed_logins ?? 0;
    if (failures >= maxFailures) {
      const until = new Date(now.getTime() + lockSeconds * 1000);
      await this.db.query(
        'UPDATE auth_user SET locked_until = $3, failed_logins = 0, first_failed_at = NULL WHERE tenant = $1 AND id = $2',
        [user.tenant, user.id, until],
      );
      await this.emit({
        type: 'account-locked',
        tenant: user.tenant,
        username: user.username,
        userId: user.id,
        sourceIp: ip,
        reason: `${failures} failed logins within ${windowSeconds} s`,
      });
      throw this.lockedError(until, now);
    }
  }

  // ── TOTP ──────────────────────────────────────────────────────────────────────────────────────

  private totpContext(user: { tenant: string; id: string }): string {
    return `auth_user/${user.tenant}/${user.id}#totp`;
  }

  /** Verifies a code and records its step, atomically, so the same code is never accepted twice. */
  private async consumeTotp(user: UserSecrets, code: string, now: Date): Promise<boolean> {
    if (!user.totpSecret) return false;
    let secret: string;
    try {
      secret = decryptField(user.totpSecret, this.config.keyring, { context: this.totpContext(user) });
    } catch (e) {
      if (!(e instanceof FieldCryptoError)) throw e;
      throw new AuthError(
        500,
        'server_error',
        'The one-time-code secret of this account cannot be read (the key changed); an administrator must reset TOTP. 动态验证码密钥无法读取，请联系管理员重置。',
      );
    }
    const step = verifyTotp(secret, code.trim(), now, { window: this.config.totp.window, lastStep: user.totpLastStep });
    if (step === undefined) return false;
    const r = await this.db.query(
      'UPDATE auth_user SET totp_last_step = $3 WHERE tenant = $1 AND id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)',
      [user.tenant, user.id, step],
    );
    return r.rowCount === 1;
  }

  async totpSetup(principal: Principal): Promise<{ secret: string; otpauth_uri: string }> {
    if (principal.kind !== 'user') throw new AuthError(403, 'access_denied', 'Only users can set up TOTP.');
    const secret = generateTotpSecret();
    const stored = encryptField(secret, this.config.keyring, {
      context: this.totpContext({ tenant: principal.tenant, id: principal.subject }),
    });
    const r = await this.db.query(
      `UPDATE auth_user SET totp_secret = $3, totp_last_step = NULL, updated_at = $4 WHERE tenant = $1 AND id = $2 AND totp_enabled = false`,
      [principal.tenant, principal.subject, stored, this.now()],
    );
    if (r.rowCount !== 1)
      throw new AuthError(409, 'totp_already_enabled', 'TOTP is already enabled for this account. 该账户已启用动态验证码。');
    return { secret, otpauth_uri: otpauthUri(secret, principal.username ?? principal.subject, this.config.totp.issuer) };
  }

  async totpEnable(principal: Principal, code: unknown, ip?: string): Promise<void> {
    if (principal.kind !== 'user') throw new AuthError(403, 'access_denied', 'Only users can enable TOTP.');
    const user = await findUser(this.db, principal.tenant, principal.subject);
    if (!user?.totpSecret) throw new AuthError(400, 'totp_not_set_up', 'Call /auth/totp/setup first. 请先获取动态验证码密钥。');
    if (user.totpEnabled)
      throw new AuthError(409, 'totp_already_enabled', 'TOTP is already enabled for this account. 该账户已启用动态验证码。');
    if (typeof code !== 'string' || !(await this.consumeTotp(user, code, this.now()))) {
      throw new AuthError(400, 'invalid_totp', 'The one-time code is wrong or expired. 动态验证码错误或已过期。');
    }
    await this.db.query('UPDATE auth_user SET totp_enabled = true, updated_at = $3 WHERE tenant = $1 AND id = $2', [
      principal.tenant,
      principal.subject,
      this.now(),
    ]);
    await this.emit({ type: 'totp-enabled', tenant: principal.tenant, username: user.username, userId: user.id, sourceIp: ip });
  }

  // ── password change ───────────────────────────────────────────────────────────────────────────

  /**
   * A user changes their own password (current password required; complexity rule applies). All the user's sessions
   * end, this one included: the client logs in again with the new password.
   */
  async changePassword(principal: Principal, current: unknown, next: unknown, ip?: string): Promise<void> {
    if (principal.kind !== 'user') throw new AuthError(403, 'access_denied', 'Only users have passwords.');
    if (typeof current !== 'string' || typeof next !== 'string' || !current || !next) {
      throw new AuthError(400, 'invalid_request', 'current_password and new_password are required. 请输入原密码和新密码。');
    }
    const user = await findUser(this.db, principal.tenant, principal.subject);
    if (!user || !(await verifyPassword(current, user.passwordHash))) {
      if (user) await this.recordFailure(user, this.now(), ip, 'bad-current-password');
      throw new AuthError(400, 'invalid_grant', 'The current password is wrong. 原密码错误。');
    }
    try {
      assertPasswordComplexity(next, user.username, this.config.passwordPolicy);
    } catch (e) {
      if (e instanceof PasswordPolicyError) throw new AuthError(400, 'invalid_password', e.message);
      throw e;
    }
    await setPassword(this.db, user.tenant, user.id, next, this.config.passwordPolicy);
    await this.emit({ type: 'password-changed', tenant: user.tenant, username: user.username, userId: user.id, sourceIp: ip });
  }

  // ── tokens ────────────────────────────────────────────────────────────────────────────────────

  private issue(tenant: string, sub: string, roles: string[], sid: string, scopes: string[], now: Date, sessionEnd: Date): TokenResponse {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = Math.min(iat + this.config.accessTokenTtlSeconds, Math.floor(sessionEnd.getTime() / 1000));
    const scope = scopes.join(' ');
    const claims: AccessClaims = {
      iss: this.config.issuer,
      aud: this.config.audience,
      sub,
      tenant,
      roles,
      sid,
      scope,
      iat,
      exp,
      jti: randomUUID(),
    };
    return {
      access_token: signToken(claims, this.config.tokenKey, this.config.tokenKeyId),
      token_type: 'Bearer',
      expires_in: exp - iat,
      scope,
    };
  }

  async refresh(input: { tenant: string; refreshToken: unknown; ip?: string }): Promise<TokenResponse> {
    const { tenant, ip } = input;
    if (typeof input.refreshToken !== 'string' || input.refreshToken === '') {
      throw new AuthError(400, 'invalid_request', 'refresh_token is required.');
    }
    const invalid = new AuthError(
      400,
      'invalid_grant',
      'The refresh token is invalid, expired or revoked; log in again. 登录已失效，请重新登录。',
    );
    const now = this.now();
    const hash = sm3Hex(input.refreshToken);
    const next = newRefreshToken();
    const outcome = await this.db.transaction(async (tx) => {
      const t = await tx.query<{ session_id: string; used_at: Date | null; expires_at: Date }>(
        'SELECT session_id, used_at, expires_at FROM auth_refresh_token WHERE tenant = $1 AND token_hash = $2 FOR UPDATE',
        [tenant, hash],
      );
      const token = t.rows[0];
      if (!token) return { kind: 'invalid' as const, reason: 'unknown-refresh-token' };
      if (token.used_at !== null) {
        await tx.query(
          `UPDATE auth_session SET revoked_at = $3, revoked_reason = 'refresh-token-reuse' WHERE tenant = $1 AND id = $2 AND revoked_at IS NULL`,
          [tenant, token.session_id, now],
        );
        return { kind: 'reuse' as const, sessionId: token.session_id };
      }
      const session = await loadSessionRow(tx, tenant, token.session_id);
      let problem: string | undefined = 'revoked';
      if (session) {
        const state = sessionFromRow(tenant, session, now);
        // This process may have seen activity that is not written yet.
        state.lastSeen = Math.max(state.lastSeen, getCachedSession(tenant, session.id)?.lastSeen ?? 0);
        problem = this.sessionProblem(state, now);
      }
      if (problem || !session?.user_id)
        return { kind: 'invalid' as const, reason: problem ?? 'not-a-user-session', sessionId: token.session_id };
      const expiresAt = new Date(session.expires_at);
      await tx.query('UPDATE auth_refresh_token SET used_at = $3, replaced_by = $4 WHERE tenant = $1 AND token_hash = $2', [
        tenant,
        hash,
        now,
        sm3Hex(next),
      ]);
      await insertRefreshToken(tx, tenant, next, token.session_id, now, expiresAt);
      await tx.query('UPDATE auth_session SET last_seen = $3 WHERE tenant = $1 AND id = $2', [tenant, token.session_id, now]);
      return { kind: 'ok' as const, session, expiresAt };
    });
    if (outcome.kind === 'reuse') {
      invalidateSession(tenant, outcome.sessionId);
      await this.emit({
        type: 'refresh-reuse',
        tenant,
        sessionId: outcome.sessionId,
        sourceIp: ip,
        reason: 'refresh token used twice; session revoked',
      });
      throw invalid;
    }
    if (outcome.kind === 'invalid') {
      await this.emit({ type: 'token-refused', tenant, sessionId: outcome.sessionId, sourceIp: ip, reason: outcome.reason });
      throw invalid;
    }
    const s = outcome.session;
    invalidateSession(tenant, s.id);
    const roles = s.user_roles ?? [];
    const scopes = roles.includes(ROLES.resident) && roles.length === 1 ? this.config.residentScopes : this.config.userScopes;
    return { ...this.issue(tenant, s.user_id!, roles, s.id, scopes, now, outcome.expiresAt), refresh_token: next };
  }

  async logout(principal: Principal, ip?: string): Promise<void> {
    await this.revokeSession(principal.tenant, principal.sessionId, 'logout');
    await this.emit({
      type: 'logout',
      tenant: principal.tenant,
      username: principal.username,
      ...(principal.kind === 'user' ? { userId: principal.subject } : { clientId: principal.subject }),
      sessionId: principal.sessionId,
      sourceIp: ip,
    });
  }

  /** Logout with only a refresh token (e.g. the access token has already expired). */
  async logoutByRefreshToken(tenant: string, refreshToken: string, ip?: string): Promise<void> {
    const r = await this.db.query<{ session_id: string }>(
      'SELECT session_id FROM auth_refresh_token WHERE tenant = $1 AND token_hash = $2',
      [tenant, sm3Hex(refreshToken)],
    );
    const sid = r.rows[0]?.session_id;
    if (!sid) return;
    await this.revokeSession(tenant, sid, 'logout');
    await this.emit({ type: 'logout', tenant, sessionId: sid, sourceIp: ip });
  }

  async revokeSession(tenant: string, sessionId: string, reason: string): Promise<void> {
    await this.db.query(
      'UPDATE auth_session SET revoked_at = $3, revoked_reason = $4 WHERE tenant = $1 AND id = $2 AND revoked_at IS NULL',
      [tenant, sessionId, this.now(), reason],
    );
    invalidateSession(tenant, sessionId);
  }

  async clientCredentials(input: {
    tenant: string;
    clientId: unknown;
    clientSecret: unknown;
    scope?: unknown;
    ip?: string;
    basic: boolean;
  }): Promise<TokenResponse> {
    const { tenant, ip } = input;
    const challenge = input.basic ? { 'WWW-Authenticate': 'Basic realm="yiwang"' } : undefined;
    if (typeof input.clientId !== 'string' || typeof input.clientSecret !== 'string' || !input.clientId || !input.clientSecret) {
      throw new AuthError(401, 'invalid_client', 'Client authentication failed: client_id and client_secret are required.', challenge);
    }
    const client = await findClient(this.db, tenant, input.clientId);
    const ok =
      client && client.status === 'active'
        ? await verifyPassword(input.clientSecret, client.secretHash)
        : await verifyDummyPassword(input.clientSecret);
    if (!client || !ok) {
      await this.emit({
        type: 'login-failure',
        tenant,
        clientId: input.clientId,
        sourceIp: ip,
        reason: client ? 'bad-client-secret' : 'unknown-client',
      });
      throw new AuthError(401, 'invalid_client', 'Client authentication failed.', challenge);
    }
    const requested = splitScopes(typeof input.scope === 'string' ? input.scope : undefined);
    const denied = requested.filter((s) => !scopeCovers(client.scopes, s));
    if (denied.length > 0) {
      throw new AuthError(400, 'invalid_scope', `Scope not granted to this client: ${denied.join(' ')}`);
    }
    const scopes = requested.length > 0 ? requested : client.scopes;
    const now = this.now();
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.accessTokenTtlSeconds * 1000);
    await this.db.query(
      `INSERT INTO auth_session (tenant, id, client_id, created_at, last_seen, expires_at, source_ip) VALUES ($1, $2, $3, $4, $4, $5, $6)`,
      [tenant, sessionId, client.clientId, now, expiresAt, ip ?? null],
    );
    await this.emit({ type: 'login-success', tenant, clientId: client.clientId, sessionId, sourceIp: ip });
    return this.issue(tenant, client.clientId, client.roles, sessionId, scopes, now, expiresAt);
  }

  // ── verification ──────────────────────────────────────────────────────────────────────────────

  private sessionProblem(s: CachedSession, now: Date): string | undefined {
    const t = now.getTime();
    if (!s.active) return 'revoked';
    if (t >= s.expiresAt) return 'absolute-timeout';
    if (t - s.lastSeen > this.config.idleTimeoutSeconds * 1000) return 'idle-timeout';
    return undefined;
  }

  private async session(tenant: string, id: string, now: Date): Promise<CachedSession | undefined> {
    const cached = getCachedSession(tenant, id);
    if (cached && now.getTime() - cached.fetchedAt < this.config.sessionCacheMs && now.getTime() >= cached.fetchedAt) return cached;
    const row = await loadSessionRow(this.db, tenant, id);
    if (!row) {
      invalidateSession(tenant, id);
      return undefined;
    }
    const fresh = sessionFromRow(tenant, row, now);
    if (cached && cached.lastSeen > fresh.lastSeen) fresh.lastSeen = cached.lastSeen;
    putCachedSession(fresh);
    return fresh;
  }

  private refuse(reason: string, message: string, tenant: string, ip?: string, sessionId?: string): Promise<never> {
    return this.emit({ type: 'token-refused', tenant, sourceIp: ip, reason, sessionId }).then(() => {
      throw new AuthError(401, 'invalid_token', message, { 'WWW-Authenticate': `Bearer error="invalid_token"` });
    });
  }

  /** Verifies the bearer token of a request; throws AuthError (status 401) when there is none or it is not valid. */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const ip = request.ip;
    const tenant = this.tenantOf(request);
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header) : null;
    if (!m) {
      throw new AuthError(401, 'invalid_token', 'A bearer access token is required. 请先登录。', {
        'WWW-Authenticate': 'Bearer realm="yiwang"',
      });
    }
    return this.verifyAccessToken(m[1]!, { tenant, ip });
  }

  async verifyAccessToken(token: string, context: { tenant?: string; ip?: string } = {}): Promise<Principal> {
    const now = this.now();
    const tenant = context.tenant ?? this.config.tenant;
    let claims: AccessClaims;
    try {
      claims = verifyToken(token, this.config.tokenKey, {
        audience: this.config.audience,
        issuer: this.config.issuer,
        now: Math.floor(now.getTime() / 1000),
      });
    } catch (e) {
      if (e instanceof TokenError) return this.refuse(e.problem, `Access token refused: ${e.message}.`, tenant, context.ip);
      throw e;
    }
    if (context.tenant !== undefined && claims.tenant !== context.tenant) {
      return this.refuse('wrong-tenant', 'Access token refused: it belongs to another tenant.', tenant, context.ip, claims.sid);
    }
    const s = await this.session(claims.tenant, claims.sid, now);
    const problem = s ? this.sessionProblem(s, now) : 'revoked';
    if (problem || !s || (s.userId ?? s.clientId) !== claims.sub) {
      const messages: Record<string, string> = {
        revoked: 'Access token refused: the session has ended (logged out or revoked). 会话已结束，请重新登录。',
        'absolute-timeout': 'Access token refused: the session reached its maximum length; log in again. 会话已超过最长时限，请重新登录。',
        'idle-timeout':
          'Access token refused: the session timed out after inactivity; log in again. 会话因长时间未操作已超时，请重新登录。',
      };
      const reason = problem ?? 'subject-mismatch';
      return this.refuse(reason, messages[reason] ?? 'Access token refused.', claims.tenant, context.ip, claims.sid);
    }
    const t = now.getTime();
    s.lastSeen = Math.max(s.lastSeen, t);
    if (t - s.lastWritten >= this.config.lastSeenWriteSeconds * 1000) {
      s.lastWritten = t;
      await this.db.query('UPDATE auth_session SET last_seen = $3 WHERE tenant = $1 AND id = $2 AND last_seen < $3', [s.tenant, s.id, now]);
    }
    return {
      kind: s.kind,
      tenant: s.tenant,
      subject: claims.sub,
      ...(s.username ? { username: s.username } : {}),
      roles: s.roles,
      scopes: splitScopes(claims.scope),
      ...(s.organizationId ? { organizationId: s.organizationId } : {}),
      ...(s.practitionerId ? { practitionerId: s.practitionerId } : {}),
      ...(s.patientId ? { patientId: s.patientId } : {}),
      sessionId: s.id,
    };
  }
}

function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

async function insertRefreshToken(
  tx: Queryable,
  tenant: string,
  token: string,
  sessionId: string,
  now: Date,
  expiresAt: Date,
): Promise<void> {
  await tx.query('INSERT INTO auth_refresh_token (tenant, token_hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    tenant,
    sm3Hex(token),
    sessionId,
    now,
    expiresAt,
  ]);
}

async function loadSessionRow(db: Queryable, tenant: string, id: string): Promise<SessionRow | undefined> {
  const r = await db.query<SessionRow>(
    `SELECT s.id, s.user_id, s.client_id, s.created_at, s.last_seen, s.expires_at, s.revoked_at,
            u.username, u.roles AS user_roles, u.status AS user_status, u.organization_id AS user_org, u.practitioner_id, u.patient_id,
            c.roles AS client_roles, c.status AS client_status, c.organization_id AS client_org
       FROM auth_session s
       LEFT JOIN auth_user u ON u.tenant = s.tenant AND u.id = s.user_id
       LEFT JOIN auth_client c ON c.tenant = s.tenant AND c.client_id = s.client_id
      WHERE s.tenant = $1 AND s.id = $2`,
    [tenant, id],
  );
  return r.rows[0];
}

function sessionFromRow(tenant: string, r: SessionRow, now: Date): CachedSession {
  const isUser = r.user_id !== null;
  const lastSeen = ms(r.last_seen);
  return {
    tenant,
    id: r.id,
    kind: isUser ? 'user' : 'client',
    userId: orUndef(r.user_id),
    clientId: orUndef(r.client_id),
    username: orUndef(r.username),
    roles: (isUser ? r.user_roles : r.client_roles) ?? [],
    organizationId: orUndef(isUser ? r.user_org : r.client_org),
    practitionerId: orUndef(r.practitioner_id),
    patientId: orUndef(r.patient_id),
    active: r.revoked_at === null && (isUser ? r.user_status : r.client_status) === 'active',
    createdAt: ms(r.created_at),
    expiresAt: ms(r.expires_at),
    lastSeen,
    lastWritten: lastSeen,
    fetchedAt: now.getTime(),
  };
}
