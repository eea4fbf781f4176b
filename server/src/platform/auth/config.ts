/**
 * Settings of the authentication subsystem. Time limits and lockout numbers are data here, not constants in code.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Keyring, KeyringError } from '../crypto/keyring.js';
import { deriveKey } from '../crypto/sm3.js';
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from './password.js';

export interface LockoutPolicy {
  /** Failed logins within `windowSeconds` that lock the account. */
  maxFailures: number;
  windowSeconds: number;
  /** How long a locked account stays locked. */
  lockSeconds: number;
}

export interface AuthConfig {
  /** Tenant (county) of requests that `tenantFor` does not place. */
  tenant: string;
  /** Optional: the tenant of a request (e.g. from the host name); undefined = `tenant`. */
  tenantFor?: (request: FastifyRequest) => string | undefined;
  issuer: string;
  audience: string;
  /** HMAC-SM3 key for access tokens (at least 32 bytes). */
  tokenKey: Buffer;
  tokenKeyId?: string;
  /** Encrypts TOTP secrets (SM4 field encryption). */
  keyring: Keyring;
  accessTokenTtlSeconds: number;
  /** A session ends after this long without a request. */
  idleTimeoutSeconds: number;
  /** A session ends this long after login, whatever the activity. */
  absoluteTimeoutSeconds: number;
  /** How long verified session state is cached in memory (ms). */
  sessionCacheMs: number;
  /** `last_seen` is written to the database at most this often per session. */
  lastSeenWriteSeconds: number;
  lockout: LockoutPolicy;
  passwordPolicy: PasswordPolicy;
  totp: { issuer: string; window: number };
  /** Scopes of user tokens (their roles decide the rest). */
  userScopes: string[];
  residentScopes: string[];
  /** When set and the tenant has no user yet, creates `admin` with this password. */
  bootstrapAdminPassword?: string;
}

export const AUTH_DEFAULTS = {
  issuer: 'yiwang',
  audience: 'yiwang',
  accessTokenTtlSeconds: 15 * 60,
  idleTimeoutSeconds: 30 * 60,
  absoluteTimeoutSeconds: 12 * 60 * 60,
  sessionCacheMs: 3000,
  lastSeenWriteSeconds: 60,
  lockout: { maxFailures: 5, windowSeconds: 15 * 60, lockSeconds: 15 * 60 } satisfies LockoutPolicy,
  passwordPolicy: DEFAULT_PASSWORD_POLICY,
  totp: { issuer: 'Yiwang 一网', window: 1 },
  userScopes: ['user/*.cruds'],
  residentScopes: ['patient/*.rs'],
};

function decodeKey(value: string, what: string): Buffer {
  const s = value.trim();
  const bytes = /^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0 ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (bytes.length < 32) throw new Error(`${what} must hold at least 32 bytes (hex or base64)`);
  return bytes;
}

export interface LoadAuthConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** The platform key ring, when already loaded. */
  keyring?: Keyring;
  tenant?: string;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
  overrides?: Partial<AuthConfig>;
}

/**
 * Builds the configuration. Token key, first that is set: `YIWANG_TOKEN_KEY` (≥ 32 bytes, hex or base64); a key
 * derived from the key ring's current index key; in development only, a random key per process (tokens die with
 * the process) with a warning. With NODE_ENV=production and neither, it throws.
 * TOTP secrets are encrypted with the key ring; without one, with a ring derived from the token key.
 */
export function loadAuthConfig(options: LoadAuthConfigOptions = {}): AuthConfig {
  const env = options.env ?? process.env;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  let keyring = options.keyring;
  if (!keyring) {
    try {
      keyring = Keyring.load({ env });
    } catch (e) {
      if (!(e instanceof KeyringError && e.code === 'no-keyring')) throw e;
    }
  }
  let tokenKey: Buffer;
  let tokenKeyId: string | undefined;
  if (env.YIWANG_TOKEN_KEY) {
    tokenKey = decodeKey(env.YIWANG_TOKEN_KEY, 'YIWANG_TOKEN_KEY');
  } else if (keyring) {
    const idx = keyring.indexKey();
    tokenKey = deriveKey(idx.key, 'auth/access-token');
    tokenKeyId = idx.id;
  } else if (env.NODE_ENV === 'production') {
    throw new Error('No token key: set YIWANG_TOKEN_KEY or YIWANG_KEYRING');
  } else {
    tokenKey = randomBytes(32);
    warn('auth: no YIWANG_TOKEN_KEY or key ring; using a random token key for this process (development only — tokens end with it)');
  }
  keyring ??= keyringFromTokenKey(tokenKey);
  const config: AuthConfig = {
    ...AUTH_DEFAULTS,
    tenant: options.tenant ?? env.YIWANG_TENANT ?? 'default',
    tokenKey,
    ...(tokenKeyId ? { tokenKeyId } : {}),
    keyring,
    ...(env.YIWANG_ADMIN_PASSWORD ? { bootstrapAdminPassword: env.YIWANG_ADMIN_PASSWORD } : {}),
    ...options.overrides,
  };
  if (config.tokenKey.length < 32) throw new Error('auth: token key must hold at least 32 bytes');
  return config;
}

/** A key ring whose keys are derived from the token key (used only when no platform key ring is configured). */
export function keyringFromTokenKey(tokenKey: Uint8Array): Keyring {
  const secret = (purpose: string) => deriveKey(tokenKey, purpose).toString('base64');
  return Keyring.fromJson({
    encryption: { current: 'auth-t1', keys: [{ id: 'auth-t1', secret: secret('auth/totp-encryption') }] },
    index: { current: 'auth-i1', keys: [{ id: 'auth-i1', secret: secret('auth/index') }] },
  });
}
