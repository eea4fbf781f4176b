/** The shapes shared by the parts of the demo county generator. */
import type { Bundle } from '@medplum/fhirtypes';
import type { Geography, Town } from '../platform/identity/testpop/geography.js';
import type { Division } from './divisions.js';

export interface CountyOptions {
  seed: number;
  residents: number;
  /** Reference date YYYY-MM-DD (ages, visit dates); default 2026-11-23. */
  today?: string;
  /** County geography (e.g. `loadGeography(sharedDataDir)`); default: the built-in 南川区 towns. */
  geography?: Geography;
  /**
   * Years of past care per resident (default 1: the past year). Each year before the last adds insurance, chronic
   * follow-ups, health checks, acute visits and their charge items, drawn from streams of their own: residents, ID
   * numbers, users, institutions, divisions and the past year's care are those of `years: 1`.
   */
  years?: number;
  /** Maximum entries per bundle (default 500). */
  bundleSize?: number;
}

export const DEMO_ROLES = [
  'village-doctor',
  'township-doctor',
  'county-specialist',
  'pharmacist',
  'public-health-worker',
  'cdc-officer',
  'school-doctor',
  'teacher',
  'insurance-officer',
  'poverty-officer',
  'manager',
  'resident',
  'admin',
] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];

export interface DemoUser {
  username: string;
  displayName: string;
  roles: DemoRole[];
  organizationId: string;
  practitionerId?: string;
  patientId?: string;
}

export interface DemoCounty {
  /** Transaction bundles to POST in order; the first ones hold the registries (institutions and staff). */
  bundles: Bundle[];
  users: DemoUser[];
}

/** A village clinic (村卫生室) with its doctor and the township centre above it. */
export interface VillageInfo {
  name: string;
  clinicId: string;
  doctorId: string;
  doctorRoleId: string;
  townCentreId: string;
  townDoctorIds: string[];
  town: Town;
  /** The village's (or community's) division Location. */
  division: Division;
}

export interface Household {
  town: Town;
  village: VillageInfo;
  address: string;
  line: string;
  phone: string | null;
  poverty: boolean;
}

export interface Person {
  id: string;
  name: string;
  surname: string;
  sex: 'male' | 'female';
  birth: string; // YYYY-MM-DD
  age: number;
  idNumber: string;
  phone: string | null;
}
