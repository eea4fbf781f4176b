export { AuditTrail, verifyChain, runVerifyCommand, type AuditTrailOptions } from './trail.js';
export { toAuditEvent, BREAK_GLASS_EXTENSION } from './fhir.js';
export { canonicalRow, linkHash, GENESIS_HASH } from './chain.js';
export * from './types.js';
export * from './security-events.js';
