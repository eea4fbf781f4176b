/**
 * Tying a study to a resident without the database: DICOM person names (alphabetic and ideographic groups, GB18030
 * and UTF-8), dates, a Patient ID that is a resident ID number (decides; another number is a conflict), demographics
 * scored with the resident index's rules (a near miss is not a match), masking of ID numbers kept in the queue, and the
 * DICOM Part 10 check and multipart parsing of uploads.
 */
import { describe, expect, it } from 'vitest';
import type { Patient } from '@medplum/fhirtypes';
import { dicomDate, dicomPatient, isDicomPart10, parsePersonName } from '../src/platform/exchange/dicomweb/dicom.js';
import { buildMultipart, parseMultipart } from '../src/platform/exchange/dicomweb/multipart.js';
import { maskedDemographics, matchStudy } from '../src/modules/imaging/match.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYDICOM } from './helpers/orthanc.js';

const RESIDENT_ID = '110101195003010010';
const patient: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  identifier: [{ system: 'urn:oid:2.16.156.10011.1.3', value: RESIDENT_ID }],
  name: [{ text: '王小东', family: '王', given: ['小东'] }],
  gender: 'male',
  birthDate: '1950-03-01',
};
const DAY = '2026-12-05';

describe('DICOM demographics', () => {
  it('takes the ideographic group of a Chinese name, the alphabetic one otherwise', () => {
    expect(parsePersonName('Wang^XiaoDong=王^小东')).toEqual({ family: '王', given: '小东', text: '王小东' });
    expect(parsePersonName('Doe^Peter')).toEqual({ family: 'Doe', given: 'Peter', text: 'Doe Peter' });
    expect(parsePersonName('')).toEqual({});
    expect(dicomDate('19500301')).toBe('1950-03-01');
    expect(dicomDate('19500231')).toBeUndefined();
    expect(dicomPatient({ PatientName: '王^小东', PatientSex: 'F', PatientBirthDate: '19500301', PatientID: 'X' })).toMatchObject({
      family: '王',
      given: '小东',
      gender: 'female',
      birthDate: '1950-03-01',
      patientId: 'X',
    });
  });

  it('recognises DICOM Part 10 files and parses STOW-RS bodies', () => {
    expect(isDicomPart10(readFileSync(join(PYDICOM, 'single/CT_small.dcm')))).toBe(true);
    expect(isDicomPart10(readFileSync(join(PYDICOM, 'single/no_meta.dcm')))).toBe(false);
    expect(isDicomPart10(Buffer.from('not dicom'))).toBe(false);
    const files = [Buffer.from([0, 1, 2, 13, 10, 45, 45]), Buffer.from('second')];
    const { body, contentType } = buildMultipart(files);
    const boundary = /boundary=(.*)$/.exec(contentType)![1]!;
    expect(parseMultipart(body, boundary).map((p) => p.body)).toEqual(files);
    expect(() => parseMultipart(Buffer.from('--x\r\nContent-Type: a\r\n\r\nbody'), 'x')).toThrow(/closing boundary/);
  });
});

describe('matching a study to the requested resident', () => {
  it('links on the same demographics, by the resident index rules', () => {
    expect(
      matchStudy(patient, { family: '王', given: '小东', text: '王小东', birthDate: '1950-03-01', gender: 'male' }, DAY).decision,
    ).toBe('match');
  });

  it('does not link another person, a twin-like near miss, or a study without demographics', () => {
    expect(
      matchStudy(patient, { family: 'Doe', given: 'Peter', text: 'Doe Peter', birthDate: '1970-01-01', gender: 'male' }, DAY).decision,
    ).toBe('non-match');
    expect(
      matchStudy(patient, { family: '王', given: '小明', text: '王小明', birthDate: '1950-03-01', gender: 'male' }, DAY).decision,
    ).not.toBe('match');
    expect(matchStudy(patient, { patientId: 'H-123' }, DAY)).toMatchObject({ decision: 'non-match' });
  });

  it('a resident ID number as Patient ID decides either way', () => {
    expect(matchStudy(patient, { patientId: RESIDENT_ID, text: '王晓东' }, DAY).decision).toBe('match');
    const other = '110101195003010037';
    expect(matchStudy(patient, { patientId: other, text: '王小东', birthDate: '1950-03-01', gender: 'male' }, DAY).decision).toBe(
      'non-match',
    );
  });

  it('keeps an ID number masked in the reconciliation queue', () => {
    expect(maskedDemographics({ patientId: RESIDENT_ID }).patientId).toBe('110101********0010');
    expect(maskedDemographics({ patientId: 'H-123' }).patientId).toBe('H-123');
  });
});
