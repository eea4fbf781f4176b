/** Security events of the authentication subsystem as audit-trail records (等保: every security event is audited). */
import type { SecurityEvent } from '../auth/index.js';
import type { AuditAction, AuditInput } from './types.js';

const ACTION: Record<SecurityEvent['type'], AuditAction> = {
  'login-success': 'login',
  'login-failure': 'login-failure',
  'account-locked': 'lockout',
  'token-refused': 'token-refused',
  logout: 'logout',
  'refresh-reuse': 'token-refused',
  'totp-enabled': 'credential-change',
  'password-changed': 'credential-change',
};

export function securityEventToAudit(event: SecurityEvent): AuditInput {
  return {
    tenant: event.tenant,
    action: ACTION[event.type],
    userId: event.userId ?? event.clientId,
    userDisplay: event.username,
    sourceIp: event.sourceIp,
    detail:
      [event.type === 'refresh-reuse' ? 'refresh token reused: session revoked' : undefined, event.reason].filter(Boolean).join('; ') ||
      undefined,
    recorded: event.at,
  };
}
