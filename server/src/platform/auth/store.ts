/**
 * Users and OAuth2 clients in the database, and the user management used by logins and (later) an admin API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { assertPasswordComplexity, DEFAULT_PASSWORD_POLICY, hashPassword, type PasswordPolicy } from './password.js';
import { isRole, ROLES } from './roles.js';
import { invalidateSessions } from './session-cache.js';

export interface UserRecord {
  tenant: string;
  id: string;
  username: string;
  roles: string[];
  displayName?: string;
  practitionerId?: string;
  organizationId?: string;
  patientId?: string;
  status: 'active' | 'disabled';
  failedLogins: number;
  firstFailedAt?: Date;
  lockedUntil?: Date;
  totpEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A user row with the secrets a login needs (never returned by the API). */
export interface UserSecrets extends UserRecord {
  passwordHash: string;
  totpSecret?: string;
  totpLastStep?: number;
}

export const USER_COLUMNS = `tenant, id, username, roles, display_name, practitioner_id, organization_id, patient_id, status,
  failed_logins, first_failed_at, locked_until, totp_enabled, created_at, updated_at, password_hash, totp_secret,
  totp_last_step::text AS totp_last_step`;

interface UserRow {
  tenant: string;
  id: string;
  username: string;
  roles: string[];
  display_name: string | null;
  practitioner_id: string | null;
  organization_id: string | null;
  patient_id: string | null;
  status: 'active' | 'disabled';
  failed_logins: number;
  first_failed_at: Date | null;
  locked_until: Date | null;
  totp_enabled: boolean;
  created_at: Date;
  updated_at: Date;
  password_hash: string;
  totp_secret: string | null;
  totp_last_step: string | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function userFromRow(r: UserRow): UserSecrets {
  return {
    tenant: r.tenant,
    id: r.id,
    username: r.username,
    roles: r.roles ?? [],
    displayName: opt(r.display_name),
    practitionerId: opt(r.practitioner_id),
    organizationId: opt(r.organization_id),
    patientId: opt(r.patient_id),
    status: r.status,
    failedLogins: r.failed_logins,
    firstFailedAt: opt(r.first_failed_at) ? new Date(r.first_failed_at!) : undefined,
    lockedUntil: opt(r.locked_until) ? new Date(r.locked_until!) : undefined,
    totpEnabled: r.totp_enabled,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    passwordHash: r.password_hash,
    totpSecret: opt(r.totp_secret),
    totpLastStep: r.totp_last_step === null ? undefined : Number(r.totp_last_step),
  };
}

/** The public view of a user (no hashes, no TOTP secret). */
export function publicUser(u: UserSecrets): UserRecord {
  const { passwordHash: _p, totpSecret: _t, totpLastStep: _s, ...rest } = u;
  return rest;
}

export class UserAdminError extends Error {
  constructor(
    readonly code: 'invalid-username' | 'invalid-role' | 'username-taken' | 'not-found' | 'invalid-password-hash',
    message: string,
  ) {
    super(message);
    this.name = 'UserAdminError';
  }
}

const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{1,63}$/u;

export interface NewUser {
  username: string;
  password: string;
  roles: string[];
  displayName?: string;
  practitionerId?: string;
  organizationId?: string;
  patientId?: string;
  /**
   * An existing scrypt hash (`scrypt$…`) instead of a password: for accounts migrated from another system and for
   * test fixtures. The complexity rule cannot be checked on a hash; it applies at the next password change.
   */
  passwordHash?: string;
}

function checkRoles(roles: string[]): void {
  const bad = roles.filter((r) => !isRole(r));
  if (bad.length > 0) throw new UserAdminError('invalid-role', `unknown role(s): ${bad.join(', ')}`);
}

export async function findUserByUsername(db: Queryable, tenant: string, username: string): Promise<UserSecrets | undefined> {
  const r = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth_user WHERE tenant = $1 AND username = $2`, [tenant, username]);
  return r.rows[0] ? userFromRow(r.rows[0]) : undefined;
}

/** Every user of the tenant, by username, without secrets. */
export async function listUsers(db: Queryable, tenant: string): Promise<UserRecord[]> {
  const r = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth_user WHERE tenant = $1 ORDER BY username`, [tenant]);
  return r.rows.map((row) => publicUser(userFromRow(row)));
}

export async function findUser(db: Queryable, tenant: string, id: string): Promise<UserSecrets | undefined> {
  const r = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth_user WHERE tenant = $1 AND id = $2`, [tenant, id]);
  return r.rows[0] ? userFromRow(r.rows[0]) : undefined;
}

/** Creates a user; the password must satisfy the complexity rule (PasswordPolicyError otherwise). */
export async function createUser(
  db: Queryable,
  tenant: string,
  user: NewUser,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): Promise<UserRecord> {
  if (typeof user.username !== 'string' || !USERNAME.test(user.username)) {
    throw new UserAdminError('invalid-username', 'username must be 2–64 letters, digits or . _ @ - (用户名格式不正确)');
  }
  checkRoles(user.roles);
  let hash: string;
  if (user.passwordHash !== undefined) {
    if (!user.passwordHash.startsWith('scrypt$')) throw new UserAdminError('invalid-password-hash', 'passwordHash must be a scrypt hash');
    hash = user.passwordHash;
  } else {
    assertPasswordComplexity(user.password, user.username, policy);
    hash = await hashPassword(user.password);
  }
  const r = await db.query<UserRow>(
    `INSERT INTO auth_user (tenant, id, username, password_hash, roles, display_name, practitioner_id, organization_id, patient_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (tenant, username) DO NOTHING
     RETURNING ${USER_COLUMNS}`,
    [
      tenant,
      randomUUID(),
      user.username,
      hash,
      user.roles,
      user.displayName ?? null,
      user.practitionerId ?? null,
      user.organizationId ?? null,
      user.patientId ?? null,
    ],
  );
  if (!r.rows[0]) throw new UserAdminError('username-taken', `username '${user.username}' is taken (用户名已存在)`);
  return publicUser(userFromRow(r.rows[0]));
}

async function updateUser(db: Queryable, tenant: string, id: string, set: string, params: unknown[]): Promise<void> {
  const r = await db.query(`UPDATE auth_user SET ${set}, updated_at = now() WHERE tenant = $1 AND id = $2`, [tenant, id, ...params]);
  if (r.rowCount === 0) throw new UserAdminError('not-found', `no user '${id}'`);
}

/** Sets a new password (complexity rule applies), clears the lockout and ends the user's sessions. */
export async function setPassword(
  db: Queryable,
  tenant: string,
  id: string,
  password: string,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): Promise<void> {
  const user = await findUser(db, tenant, id);
  if (!user) throw new UserAdminError('not-found', `no user '${id}'`);
  assertPasswordComplexity(password, user.username, policy);
  await updateUser(
    db,
    tenant,
    id,
    'password_hash = $3, password_changed_at = now(), failed_logins = 0, first_failed_at = NULL, locked_until = NULL',
    [await hashPassword(password)],
  );
  await revokeUserSessions(db, tenant, id, 'password-changed');
}

export async function unlockUser(db: Queryable, tenant: string, id: string): Promise<void> {
  await updateUser(db, tenant, id, 'failed_logins = 0, first_failed_at = NULL, locked_until = NULL', []);
}

/** Disables the account and ends its sessions at once. */
export async function disableUser(db: Queryable, tenant: string, id: string): Promise<void> {
  await updateUser(db, tenant, id, `status = 'disabled'`, []);
  await revokeUserSessions(db, tenant, id, 'disabled');
}

export async function enableUser(db: Queryable, tenant: string, id: string): Promise<void> {
  await updateUser(db, tenant, id, `status = 'active'`, []);
}

/** Removes the second factor (lost phone); the user can enrol again. */
export async function resetTotp(db: Queryable, tenant: string, id: string): Promise<void> {
  await updateUser(db, tenant, id, 'totp_secret = NULL, totp_enabled = false, totp_last_step = NULL', []);
}

/** Deletes sessions (and their refresh tokens) that ended before `before`; returns how many sessions. */
export async function purgeEndedSessions(db: Queryable, before: Date): Promise<number> {
  await db.query(
    `DELETE FROM auth_refresh_token r USING auth_session s
      WHERE r.tenant = s.tenant AND r.session_id = s.id AND (s.expires_at < $1 OR s.revoked_at < $1)`,
    [before],
  );
  const r = await db.query('DELETE FROM auth_session WHERE expires_at < $1 OR revoked_at < $1', [before]);
  return r.rowCount;
}

export async function setUserRoles(db: Queryable, tenant: string, id: string, roles: string[]): Promise<void> {
  checkRoles(roles);
  await updateUser(db, tenant, id, 'roles = $3', [roles]);
  invalidateSessions((s) => s.tenant === tenant && s.userId === id);
}

export async function revokeUserSessions(db: Queryable, tenant: string, userId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE auth_session SET revoked_at = now(), revoked_reason = $3 WHERE tenant = $1 AND user_id = $2 AND revoked_at IS NULL`,
    [tenant, userId, reason],
  );
  invalidateSessions((s) => s.tenant === tenant && s.userId === userId);
}

/**
 * Creates `admin` (role admin) when the tenant has no user at all. Returns true when it did. Safe to call on every
 * start and from several processes at once.
 */
export async function ensureBootstrapAdmin(db: Queryable, tenant: string, password: string): Promise<boolean> {
  const any = await db.query('SELECT 1 FROM auth_user WHERE tenant = $1 LIMIT 1', [tenant]);
  if (any.rows.length > 0) return false;
  try {
    await createUser(db, tenant, { username: 'admin', password, roles: [ROLES.admin], displayName: 'Administrator 管理员' });
    return true;
  } catch (e) {
    if (e instanceof UserAdminError && e.code === 'username-taken') return false;
    throw e;
  }
}

export interface ClientRecord {
  tenant: string;
  clientId: string;
  name?: string;
  scopes: string[];
  roles: string[];
  organizationId?: string;
  status: 'active' | 'disabled';
}

export interface ClientSecrets extends ClientRecord {
  secretHash: string;
}

interface ClientRow {
  tenant: string;
  client_id: string;
  name: string | null;
  scopes: string[];
  roles: string[];
  organization_id: string | null;
  status: 'active' | 'disabled';
  secret_hash: string;
}

/** Registers a system client (HIS, LIS, device gateway); returns its secret once — only its hash is kept. */
export async function createClient(
  db: Queryable,
  tenant: string,
  client: { clientId?: string; name?: string; scopes: string[]; roles?: string[]; organizationId?: string },
): Promise<{ client: ClientRecord; clientSecret: string }> {
  const roles = client.roles ?? [ROLES.system];
  checkRoles(roles);
  const clientId = client.clientId ?? `c-${randomUUID()}`;
  const clientSecret = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO auth_client (tenant, client_id, secret_hash, name, scopes, roles, organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [tenant, clientId, await hashPassword(clientSecret), client.name ?? null, client.scopes, roles, client.organizationId ?? null],
  );
  return {
    client: { tenant, clientId, name: client.name, scopes: client.scopes, roles, organizationId: client.organizationId, status: 'active' },
    clientSecret,
  };
}

export async function findClient(db: Queryable, tenant: string, clientId: string): Promise<ClientSecrets | undefined> {
  const r = await db.query<ClientRow>(
    'SELECT tenant, client_id, name, scopes, roles, organization_id, status, secret_hash FROM auth_client WHERE tenant = $1 AND client_id = $2',
    [tenant, clientId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    tenant: row.tenant,
    clientId: row.client_id,
    name: opt(row.name),
    scopes: row.scopes ?? [],
    roles: row.roles ?? [],
    organizationId: opt(row.organization_id),
    status: row.status,
    secretHash: row.secret_hash,
  };
}
