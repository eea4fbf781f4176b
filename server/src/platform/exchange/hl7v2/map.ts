/**
 * HL7 v2 → FHIR R4, pure: no database access. The result is a transaction Bundle whose entries use
 * urn:uuid fullUrls and conditional requests (`PUT Type?identifier=…` or `POST` with ifNoneExist),
 * so posting the same message twice leaves the store unchanged; ADT^A40 gives a merge instruction.
 *
 * Event → mapper (see the table at the top of each file):
 * | message             | mapper       | resources                                                                                      |
 * |---------------------|--------------|------------------------------------------------------------------------------------------------|
 * | ADT^A01/A03/A04/A08 | map-adt.ts   | Patient (update), Encounter (update), Practitioner, Location                                   |
 * | ADT^A40             | map-adt.ts   | MergeInstruction (surviving and merged identifiers)                                            |
 * | ORU^R01             | map-oru.ts   | Observation, DiagnosticReport (update), ServiceRequest, Patient, Encounter (create if missing) |
 * | ORM^O01, OML^O21    | map-order.ts | ServiceRequest (update), Patient, Encounter (create if missing)                                |
 * | SIU^S12             | map-siu.ts   | Appointment (update), Patient, Encounter (create if missing)                                   |
 * | MSH-4 + MSH-10      | —            | Bundle.identifier (system `<base>message:<sender>`), for duplicate detection                   |
 */
import type { Bundle } from '@medplum/fhirtypes';
import { ParseError } from './errors.js';
import { mapAdt, mapMerge, type MergeInstruction } from './map-adt.js';
import { MapContext, type MapOptions } from './map-common.js';
import { mapOrders } from './map-order.js';
import { mapOru } from './map-oru.js';
import { mapSiu } from './map-siu.js';
import type { Hl7Message } from './message.js';
import { SUPPORTED_EVENTS } from './validate.js';

export type MappingResult =
  { kind: 'transaction'; bundle: Bundle; warnings: string[] } | { kind: 'merge'; merge: MergeInstruction; warnings: string[] };

/**
 * Maps a validated message. Throws `ParseError` 200/201 for message types or events that are not
 * supported; anything else that is missing is skipped and reported in `warnings`.
 */
export function mapToFhir(msg: Hl7Message, options: MapOptions = {}): MappingResult {
  const type = msg.messageType;
  const event = msg.triggerEvent;
  const events = SUPPORTED_EVENTS[type];
  if (!events)
    throw new ParseError(200, `Message type '${type}' is not supported`, { segment: 'MSH', sequence: 1, field: 9, component: 1 });
  if (!events.includes(event))
    throw new ParseError(201, `Event '${type}^${event}' is not supported`, { segment: 'MSH', sequence: 1, field: 9, component: 2 });
  const ctx = new MapContext(msg, options);
  if (type === 'ADT' && event === 'A40') return { kind: 'merge', merge: mapMerge(ctx), warnings: ctx.warnings };
  if (type === 'ADT') mapAdt(ctx, event);
  else if (type === 'ORU') mapOru(ctx);
  else if (type === 'ORM' || type === 'OML') mapOrders(ctx);
  else if (type === 'SIU') mapSiu(ctx);
  const identifier = msg.controlId ? { system: ctx.localSystem('message'), value: msg.controlId } : undefined;
  return { kind: 'transaction', bundle: ctx.builder.bundle(identifier), warnings: ctx.warnings };
}

/** Convenience: the bundle of a message that maps to a transaction (throws for ADT^A40). */
export function mapToBundle(msg: Hl7Message, options: MapOptions = {}): Bundle {
  const r = mapToFhir(msg, options);
  if (r.kind !== 'transaction')
    throw new ParseError(201, 'ADT^A40 maps to a merge instruction, not a bundle', { segment: 'MSH', sequence: 1, field: 9, component: 2 });
  return r.bundle;
}
