/**
 * HL7 v2 library: parsing, validation, acknowledgements, MLLP framing and mapping to FHIR R4.
 * Pure functions; the MLLP listener and `POST /hl7/v2` use them and store the mapped bundle.
 *
 * Typical receiver flow:
 *   const r = acceptMessage(bytes);                  // parse + validate + ACK
 *   if (r.code === 'AA') { const m = mapToFhir(r.message!); … store … }
 *   send(mllpEncode(r.ack, r.message?.charset));     // ACK in the sender's character set
 */
export { ackCodeFor, acceptMessage, buildAck, recoverHeader, type AcceptResult, type AckCode, type AckOptions } from './ack.js';
export {
  checkHl7DateTime,
  formatHl7DateTime,
  parseHl7DateTime,
  toFhirDate,
  toFhirDateTime,
  toFhirInstant,
  type Hl7DateTime,
} from './datetime.js';
export {
  DEFAULT_ENCODING,
  charsetFromMsh18,
  decodeBytes,
  encodeText,
  escapeValue,
  unescapeValue,
  type EncodingCharacters,
} from './encoding.js';
export {
  HL7_ERROR_TEXT,
  Hl7ErrorCode,
  ParseError,
  formatLocation,
  isParseError,
  type Hl7Issue,
  type Hl7Location,
  type Hl7Severity,
} from './errors.js';
export { mapPatient, type MergeInstruction, type PatientMerge } from './map-adt.js';
export { isChineseResidentId, splitChineseName, stableUuid, RESIDENT_ID_SYSTEM, type MapOptions } from './map-common.js';
export { referenceRange } from './map-oru.js';
export { mapToBundle, mapToFhir, type MappingResult } from './map.js';
export { Hl7Field, Hl7Message, Hl7Repetition, Hl7Segment, parsePath, type Hl7Path } from './message.js';
export { MllpDecoder, mllpEncode, MLLP_CR, MLLP_END, MLLP_START, type MllpDecoderOptions, type MllpEvent } from './mllp.js';
export { decodeInput, parseBatch, parseMessage, splitSegments, type DecodedInput, type Hl7Batch, type ParseOptions } from './parser.js';
export { hasErrors, SUPPORTED_EVENTS, validateMessage } from './validate.js';
