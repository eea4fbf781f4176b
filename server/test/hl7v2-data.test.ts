/**
 * Data-driven checks against the public HL7 v2 corpus in ../shared/data/hl7v2 (see its
 * PROVENANCE.md): every file parses or fails with a ParseError, and our ADT/ORU mapping agrees with
 * the expected FHIR of microsoft/FHIR-Converter on the key fields.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, DiagnosticReport, Encounter, Identifier, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import {
  buildAck,
  mapToFhir,
  parseBatch,
  parseMessage,
  ParseError,
  SUPPORTED_EVENTS,
  unescapeValue,
  DEFAULT_ENCODING,
  validateMessage,
  type Hl7Message,
} from '../src/platform/exchange/hl7v2/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = process.env.YIWANG_SHARED_DATA ? join(process.env.YIWANG_SHARED_DATA, 'hl7v2') : resolve(repoRoot, '../shared/data/hl7v2');
const haveData = existsSync(DATA);
const MS = join(DATA, 'microsoft-fhir-converter');

/** Files that are not (valid) HL7 as a whole; each must fail with a ParseError. */
const EXPECTED_BAD: Record<string, number> = {
  'hapi-hl7v2/messages.txt': 100, // C-style comments around the messages (checked message by message below)
  'hapi-hl7v2/uuencoded_escaped.txt': 100, // an escaped field value, not a message (checked in the escape test)
  'python-hl7/sample_bad_batch.hl7': 100, // BHS then segments without MSH
  'python-hl7/sample_bad_batch1.hl7': 100, // BHS inside an open batch
  'python-hl7/sample_bad_file.hl7': 100, // FHS/BHS then segments without MSH
  'python-hl7/sample_bad_file1.hl7': 100, // BHS inside an open batch
  'python-hl7/sample_bad_file2.hl7': 100, // second FHS inside the file
  'python-hl7/sample_bad_file3.hl7': 100, // FHS then segments without MSH
};

/** Number of messages in multi-message files. */
const MESSAGE_COUNTS: Record<string, number> = {
  'hapi-hl7v2/example_oml_o21.hl7': 13,
  'nhapi/OML_O21_messages.txt': 7,
  'python-hl7/sample_batch.hl7': 1,
  'python-hl7/sample_batch1.hl7': 2,
  'python-hl7/sample_batch2.hl7': 2,
  'python-hl7/sample_batch3.hl7': 1,
  'python-hl7/sample_batch4.hl7': 1,
  'python-hl7/sample_file.hl7': 1,
  'python-hl7/sample_file1.hl7': 3,
  'python-hl7/sample_file2.hl7': 2,
  'python-hl7/sample_file3.hl7': 1,
  'python-hl7/sample_file4.hl7': 1,
  'python-hl7/sample_file5.hl7': 1,
  'python-hl7/sample_file6.hl7': 1,
};

/** Validation errors (table 0357 codes) expected in supported Microsoft samples; all others validate cleanly. */
const EXPECTED_INVALID_MS: Record<string, number[]> = {
  'ORU-R01-01.hl7': [101, 101], // OBX||ED||| without OBX-3 and OBX-11
  'MDHHS-OML-O21-1.hl7': [100], // OML without ORC
  'MDM_01.hl7': [101], // ORC without ORC-1
};

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const isSupported = (m: Hl7Message): boolean => !!SUPPORTED_EVENTS[m.messageType]?.includes(m.triggerEvent);

/** Validation, mapping and ACK must never throw for anything that parsed. */
function exercise(msg: Hl7Message): number[] {
  const errors = validateMessage(msg);
  for (const e of errors) expect(e).toBeInstanceOf(ParseError);
  const ack = parseMessage(buildAck(msg, { code: errors.length ? 'AE' : 'AA', errors }));
  expect(ack.segment('MSA')?.get(2)).toBe(msg.header.field(10).rep(1).component(1));
  if (isSupported(msg)) {
    const r = mapToFhir(msg);
    if (r.kind === 'transaction') {
      const urls = new Set(r.bundle.entry!.map((e) => e.fullUrl));
      for (const e of r.bundle.entry!) {
        expect(e.fullUrl).toMatch(/^urn:uuid:/);
        expect(['PUT', 'POST']).toContain(e.request!.method);
        JSON.stringify(e.resource, (k, v) => {
          if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) expect(urls.has(v)).toBe(true);
          return v;
        });
      }
    } else {
      expect(r.merge.merges.length).toBeGreaterThan(0);
    }
  }
  return errors.filter((e) => e.severity === 'E').map((e) => e.code);
}

describe.skipIf(!haveData)('HL7 v2 corpus: every file parses or fails with a ParseError', () => {
  const files = haveData ? walk(DATA).filter((f) => /\.(hl7|txt)$/.test(f) && !/LICENSE/.test(f)) : [];

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(160);
    for (const name of [...Object.keys(EXPECTED_BAD), ...Object.keys(MESSAGE_COUNTS)]) expect(files).toContain(join(DATA, name));
  });

  it.each(files.map((f) => relative(DATA, f)))('%s', (rel) => {
    const bytes = readFileSync(join(DATA, rel));
    const bad = EXPECTED_BAD[rel];
    let parsed: ReturnType<typeof parseBatch> | undefined;
    try {
      parsed = parseBatch(bytes);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e; // never an unexpected exception
      expect(bad, `${rel} failed unexpectedly: ${e.message}`).toBe(e.code);
      const ack = parseMessage(buildAck(bytes, { code: 'AR' }));
      expect(ack.get('MSA-1')).toBe('AR');
      expect(ack.get('ERR-3')).toBe(String(e.code));
      return;
    }
    expect(bad, `${rel} should have failed`).toBeUndefined();
    expect(parsed.messages.length).toBe(MESSAGE_COUNTS[rel] ?? 1);
    const envelope = parsed.fileHeader || parsed.fileTrailer || parsed.batches.some((b) => b.header || b.trailer);
    if (parsed.messages.length === 1 && !envelope) {
      expect(parseMessage(bytes).toString()).toBe(parsed.messages[0]!.toString());
    }
    for (const msg of parsed.messages) exercise(msg);
  });

  it('parses the messages of hapi messages.txt one by one once the comments are removed', () => {
    const text = readFileSync(join(DATA, 'hapi-hl7v2/messages.txt'), 'utf8');
    const lines = text.split(/\r?\n/).filter((l) => !/^\s*(\/\*|\*|\/\/)/.test(l));
    const chunks: string[][] = [];
    for (const l of lines) {
      if (l.startsWith('MSH')) chunks.push([l]);
      else if (l.trim() && chunks.length) chunks[chunks.length - 1]!.push(l);
    }
    expect(chunks).toHaveLength(18);
    const failures: string[] = [];
    for (const chunk of chunks) {
      try {
        exercise(parseMessage(chunk.join('\r')));
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        failures.push(`${chunk[0]!.slice(0, 40)} → ${e.code} ${e.location.segment}-${e.location.field}`);
      }
    }
    // The one message whose MSH-2 lacks the escape character ('^~}').
    expect(failures).toEqual(['MSH|^~}|ADMISSION|ADT1|RADIOLOGY|MIR1|19 → 102 MSH-2']);
  });

  it('decodes the escaped uuencoded payload of hapi uuencoded_escaped.txt', () => {
    const raw = readFileSync(join(DATA, 'hapi-hl7v2/uuencoded_escaped.txt'), 'latin1').trim();
    const decoded = unescapeValue(raw, DEFAULT_ENCODING, 'latin1');
    expect(decoded.startsWith('begin 644 WAV.DAT\r\nM')).toBe(true);
    expect(decoded).toMatch(/\r\nend\r\n$/);
    expect(decoded).not.toContain('\\X0D\\');
    expect(decoded.split('\r\n').length).toBeGreaterThan(500);
  });

  it('validates the supported Microsoft samples (explicit list of the invalid ones)', () => {
    const seen: Record<string, number[]> = {};
    for (const f of walk(join(MS, 'messages'))) {
      const msg = parseMessage(readFileSync(f));
      if (!isSupported(msg)) continue;
      const name = relative(join(MS, 'messages'), f);
      seen[name] = exercise(msg).sort();
    }
    expect(Object.keys(seen).length).toBeGreaterThan(30);
    for (const [name, codes] of Object.entries(seen)) expect(codes, name).toEqual(EXPECTED_INVALID_MS[name] ?? []);
  });
});

// ---------------------------------------------------------------------------------------------
// Comparison with the expected FHIR output of microsoft/FHIR-Converter
// ---------------------------------------------------------------------------------------------

function load(name: string): { ours: Resource[]; theirs: Resource[]; msg: Hl7Message } {
  const msg = parseMessage(readFileSync(join(MS, 'messages', `${name}.hl7`)));
  const r = mapToFhir(msg);
  if (r.kind !== 'transaction') throw new Error(`${name} is not a transaction`);
  const expected = JSON.parse(readFileSync(join(MS, 'expected-fhir', `${name}-expected.json`), 'utf8')) as Bundle;
  return { ours: r.bundle.entry!.map((e) => e.resource!), theirs: expected.entry!.map((e) => e.resource!), msg };
}

const ofType = <T extends Resource>(list: Resource[], type: T['resourceType']): T[] => list.filter((r) => r.resourceType === type) as T[];
const sameInstant = (a?: string, b?: string): void => {
  if (a === undefined || b === undefined) return;
  expect(Date.parse(a), `${a} vs ${b}`).toBe(Date.parse(b));
};

/**
 * Patient: birth date, gender, first name, and the identifiers of PID-2/3/4 (FHIR-Converter also
 * adds identifiers from GT1, DB1, IN1 …, which we do not map to the patient).
 */
function comparePatient(ours: Patient, theirs: Patient, msg: Hl7Message): void {
  expect(ours.birthDate).toBe(theirs.birthDate);
  expect(ours.gender).toBe(theirs.gender);
  const their0 = theirs.name?.[0];
  expect(ours.name?.[0]?.family).toBe(their0?.family);
  expect(ours.name?.[0]?.given?.[0]).toBe(their0?.given?.[0]);
  const pid = msg.segment('PID')!;
  const pidValues = new Set([2, 3, 4].flatMap((f) => pid.field(f).values.map((r) => r.component(1).trim())).filter(Boolean));
  const ourIds = (ours.identifier ?? []).map((i) => i.value);
  const theirIds = (theirs.identifier ?? []).filter((i: Identifier) => pidValues.has(i.value ?? ''));
  expect(theirIds.length).toBeGreaterThan(0);
  for (const v of pidValues) expect(ourIds).toContain(v);
  for (const id of theirIds) {
    expect(ourIds).toContain(id.value);
    if (id.system?.startsWith('urn:oid:'))
      expect(ours.identifier).toContainEqual(expect.objectContaining({ system: id.system, value: id.value }));
  }
}

function compareEncounter(ours: Encounter, theirs: Encounter): void {
  expect(ours.class.code).toBe(theirs.class.code);
  expect(ours.status).toBe(theirs.status);
  sameInstant(ours.period?.start, theirs.period?.start);
  sameInstant(ours.period?.end, theirs.period?.end);
  for (const vn of (theirs.identifier ?? []).filter((i) => i.type?.coding?.[0]?.code === 'VN')) {
    expect(ours.identifier?.map((i) => i.value)).toContain(vn.value);
  }
}

const codeOf = (o: { code?: { coding?: Array<{ code?: string }> } }): string | undefined => o.code?.coding?.[0]?.code;

/** Pairs observations by code and order of appearance, and compares code, value, unit, interpretation, status. */
function compareObservations(ours: Observation[], theirs: Observation[]): number {
  const used = new Set<Observation>();
  let compared = 0;
  for (const t of theirs) {
    const code = codeOf(t);
    if (!code) continue;
    const o = ours.find((x) => !used.has(x) && codeOf(x) === code);
    expect(o, `our Observation for ${code}`).toBeDefined();
    if (!o) continue;
    used.add(o);
    compared++;
    if (t.code.coding?.[0]?.system === 'http://loinc.org') expect(o.code.coding?.[0]?.system).toBe('http://loinc.org');
    if (t.valueQuantity) {
      expect(o.valueQuantity?.value).toBe(t.valueQuantity.value);
      expect(o.valueQuantity?.unit).toBe(t.valueQuantity.unit);
    }
    if (t.valueString !== undefined) expect(o.valueString).toBe(t.valueString);
    if (t.valueCodeableConcept) expect(o.valueCodeableConcept?.coding?.[0]?.code).toBe(t.valueCodeableConcept.coding?.[0]?.code);
    if (t.interpretation) {
      expect(o.interpretation?.map((i) => i.coding?.[0]?.code)).toEqual(t.interpretation.map((i) => i.coding?.[0]?.code));
    }
    // FHIR-Converter turns OBX-11 'I' (in process) into 'unknown'; we follow the HL7 v2-to-FHIR map (registered).
    if (t.status !== 'unknown') expect(o.status, code).toBe(t.status);
    sameInstant(o.effectiveDateTime, t.effectiveDateTime);
  }
  return compared;
}

const ADT_SAMPLES = [
  'ADT-A01-01',
  'ADT-A01-02',
  'ADT-A04-01',
  'ADT-A04-02',
  'ADT-A08-01',
  'ADT-A08-02',
  'ADT01-23',
  'ADT01-28',
  'ADT04-23',
  'ADT04-251',
  'ADT04-28',
];
const ORU_SAMPLES = ['LAB-ORU-1', 'LAB-ORU-2', 'ORU-R01-RMGEAD', 'LRI_2.0-NG_CBC_Typ_Message', 'ORU-R01-01'];

describe.skipIf(!haveData)('mapping agrees with microsoft/FHIR-Converter expected output', () => {
  it.each(ADT_SAMPLES)('ADT %s: Patient and Encounter', (name) => {
    const { ours, theirs, msg } = load(name);
    comparePatient(ofType<Patient>(ours, 'Patient')[0]!, ofType<Patient>(theirs, 'Patient')[0]!, msg);
    compareEncounter(ofType<Encounter>(ours, 'Encounter')[0]!, ofType<Encounter>(theirs, 'Encounter')[0]!);
  });

  it.each(ORU_SAMPLES)('ORU %s: Patient, Observations and DiagnosticReports', (name) => {
    const { ours, theirs, msg } = load(name);
    comparePatient(ofType<Patient>(ours, 'Patient')[0]!, ofType<Patient>(theirs, 'Patient')[0]!, msg);
    const compared = compareObservations(ofType<Observation>(ours, 'Observation'), ofType<Observation>(theirs, 'Observation'));
    expect(compared).toBeGreaterThan(0);
    // Reports made from an OBR (FHIR-Converter also makes some from stray OBX): same code, status and results.
    for (const dr of ofType<DiagnosticReport>(ours, 'DiagnosticReport')) {
      const t = ofType<DiagnosticReport>(theirs, 'DiagnosticReport').find((x) => codeOf(x) === codeOf(dr));
      expect(t, `their report ${codeOf(dr)}`).toBeDefined();
      expect(dr.status).toBe(t!.status);
      expect(dr.result?.length ?? 0).toBe(t!.result?.length ?? 0);
    }
  });

  it.each(['ADT-A40-01', 'ADT-A40-02'])('ADT %s: merge instruction matches the Linkage source/historical pairs', (name) => {
    const msg = parseMessage(readFileSync(join(MS, 'messages', `${name}.hl7`)));
    const r = mapToFhir(msg);
    if (r.kind !== 'merge') throw new Error('expected a merge');
    const expected = JSON.parse(readFileSync(join(MS, 'expected-fhir', `${name}-expected.json`), 'utf8')) as Bundle;
    const linkage = expected.entry!.map((e) => e.resource!).find((x) => x.resourceType === 'Linkage') as
      { item: Array<{ type: string; resource: { identifier?: Identifier } }> } | undefined;
    const theirPairs: string[][] = [];
    for (let i = 0; i < linkage!.item.length; i += 2) {
      theirPairs.push([linkage!.item[i]!.resource.identifier!.value!, linkage!.item[i + 1]!.resource.identifier!.value!]);
    }
    expect(r.merge.merges.map((m) => [m.surviving[0]!.value, m.merged[0]!.value])).toEqual(theirPairs);
  });
});

if (!haveData) {
  console.warn(
    `HL7 v2 data-driven tests skipped: ${DATA} does not exist (CI always has ../shared/data; set YIWANG_SHARED_DATA to point elsewhere).`,
  );
}
