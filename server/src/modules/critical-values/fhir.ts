/** The record-store lookups this module uses (shared with the other modules: platform/fhir/lookup.ts). */
export { findResources, nameOf, readRef, refParts } from '../../platform/fhir/lookup.js';
