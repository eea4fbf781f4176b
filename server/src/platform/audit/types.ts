/** The audit trail's data shapes: what callers record and what the store returns. */

/** Accesses to personal data (FHIR RESTful interactions, plus bulk export). */
export const ACCESS_ACTIONS = ['read', 'vread', 'search-type', 'create', 'update', 'delete', 'history', 'export'] as const;
/** Security events. */
export const SECURITY_ACTIONS = [
  'login',
  'logout',
  'login-failure',
  'lockout',
  'token-refused',
  'credential-change',
  'policy-change',
] as const;

export type AccessAction = (typeof ACCESS_ACTIONS)[number];
export type SecurityAction = (typeof SECURITY_ACTIONS)[number];
export type AuditAction = AccessAction | SecurityAction;

/** FHIR AuditEvent.outcome: success, minor failure, serious failure, major failure. */
export type AuditOutcome = 0 | 4 | 8 | 12;

export interface AuditInput {
  /** The county. */
  tenant: string;
  action: AuditAction;
  /** Defaults to 0 (success); 'login-failure', 'lockout' and 'token-refused' default to 4. */
  outcome?: AuditOutcome;
  /** Who: a FHIR reference (`Practitioner/123`, `Patient/9`) or an account id. */
  userId?: string;
  userDisplay?: string;
  /** The user's role (e.g. `doctor`, `nurse`, `resident`, `admin`). */
  role?: string;
  /** The Organization id of the user's institution. */
  institution?: string;
  /** The resident whose personal data was touched. */
  patientId?: string;
  /** The resources read or written, as `Type/id`. */
  resources?: string[];
  /** The query string of a search (`Observation?patient=9&code=…`). */
  query?: string;
  /** Purpose of use, a v3-ActReason code (TREAT, HPAYMT, PUBHLTH, …). */
  purpose?: string;
  /** Break-glass (emergency access) reason; its presence marks the access as break-glass. */
  breakGlassReason?: string;
  sourceIp?: string;
  /** Free text: failure reason, the policy that changed, … */
  detail?: string;
  /** When the event happened; defaults to the trail's clock. */
  recorded?: Date;
}

/** One stored, sealed audit row. */
export interface AuditRow {
  tenant: string;
  /** Position in the tenant's chain (1, 2, 3 … without gaps). */
  pos: number;
  /** Epoch milliseconds. */
  recorded: number;
  kind: 'access' | 'security';
  action: AuditAction;
  outcome: AuditOutcome;
  userId: string | null;
  userDisplay: string | null;
  role: string | null;
  institution: string | null;
  patientId: string | null;
  resources: string[];
  query: string | null;
  purpose: string | null;
  breakGlass: string | null;
  sourceIp: string | null;
  detail: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  tenant: string;
  patientId?: string;
  userId?: string;
  /** Inclusive lower bound of `recorded`. */
  from?: Date;
  /** Exclusive upper bound of `recorded`. */
  to?: Date;
  action?: AuditAction | AuditAction[];
  /** Only break-glass accesses (the privacy officer's report). */
  breakGlass?: boolean;
  /** Page size (default 100, at most 1 000). */
  count?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  events: AuditRow[];
  next?: string;
}

/** What a resident sees of an access to their own record: no resources, queries or other residents. */
export interface ResidentAccess {
  time: string;
  action: AuditAction;
  accessor: string | null;
  accessorId: string | null;
  role: string | null;
  institution: string | null;
  purpose: string | null;
  breakGlass: boolean;
}

export interface VerifyResult {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  /** Tenants checked. */
  tenants: number;
  tenant?: string;
  /** The chain position where the chain first breaks. */
  firstBadSeq?: number;
  reason?: string;
}
