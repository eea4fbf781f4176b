/**
 * Password hashing (scrypt from node:crypto, per-password random salt, constant-time verify) and the
 * password complexity rule of 等保2.0 level 3.
 *
 * Stored form: `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url), so the cost can be raised later
 * while old hashes stay verifiable.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keyLength: number;
}

/** ~50 ms on one core: slow enough for guessing, fast enough for a login. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keyLength: 32 };

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Verifies a password against a stored hash; false for a malformed hash (never throws on bad input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string' || typeof stored !== 'string') return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || expected.length < 16) return false;
  const actual = await scrypt(password, salt, { N, r, p, keyLength: expected.length });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/** Computes the dummy hash ahead of the first login, so that one is not slower either. */
export function warmUpPasswordTiming(): Promise<string> {
  return (dummyHash ??= hashPassword('yiwang-dummy-password-for-timing'));
}

/**
 * Spends the time of one password verification without a user: unknown usernames then take as long as wrong
 * passwords, so response time does not tell whether a username exists.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  await verifyPassword(typeof password === 'string' ? password : '', await warmUpPasswordTiming());
  return false;
}

export interface PasswordProblem {
  code: 'too-short' | 'too-few-classes' | 'contains-username' | 'too-long';
  en: string;
  zh: string;
}

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** How many of the four classes (upper, lower, digit, symbol) must appear. */
  minClasses: number;
}

/** 等保2.0 level 3: at least 8 characters, at least 3 of 4 character classes, not containing the username. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 8, maxLength: 128, minClasses: 3 };

/** Problems of a new password (empty when it is acceptable). */
export function checkPasswordComplexity(
  password: string,
  username?: string,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const pw = typeof password === 'string' ? password : '';
  const length = [...pw].length;
  if (length < policy.minLength) {
    problems.push({
      code: 'too-short',
      en: `Password must be at least ${policy.minLength} characters long.`,
      zh: `密码长度至少为 ${policy.minLength} 位。`,
    });
  }
  if (length > policy.maxLength) {
    problems.push({
      code: 'too-long',
      en: `Password must be at most ${policy.maxLength} characters long.`,
      zh: `密码长度不能超过 ${policy.maxLength} 位。`,
    });
  }
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
  if (classes < policy.minClasses) {
    problems.push({
      code: 'too-few-classes',
      en: `Password must contain at least ${policy.minClasses} of: upper-case letters, lower-case letters, digits, symbols.`,
      zh: `密码须至少包含大写字母、小写字母、数字、特殊符号中的 ${policy.minClasses} 类。`,
    });
  }
  if (username && username.length > 0 && pw.toLowerCase().includes(username.toLowerCase())) {
    problems.push({ code: 'contains-username', en: 'Password must not contain the username.', zh: '密码不能包含用户名。' });
  }
  return problems;
}

export class PasswordPolicyError extends Error {
  constructor(readonly problems: PasswordProblem[]) {
    super(problems.map((p) => `${p.en} ${p.zh}`).join(' '));
    this.name = 'PasswordPolicyError';
  }
}

/** Throws PasswordPolicyError (message in English and Chinese) when the password breaks the rule. */
export function assertPasswordComplexity(password: string, username?: string, policy?: PasswordPolicy): void {
  const problems = checkPasswordComplexity(password, username, policy);
  if (problems.length > 0) throw new PasswordPolicyError(problems);
}
