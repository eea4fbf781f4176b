/** Role names carried by users and clients; access policies are written against these strings. */
export const ROLES = {
  villageDoctor: 'village-doctor',
  townshipDoctor: 'township-doctor',
  countySpecialist: 'county-specialist',
  pharmacist: 'pharmacist',
  publicHealthWorker: 'public-health-worker',
  cdcOfficer: 'cdc-officer',
  schoolDoctor: 'school-doctor',
  teacher: 'teacher',
  insuranceOfficer: 'insurance-officer',
  povertyOfficer: 'poverty-officer',
  manager: 'manager',
  resident: 'resident',
  admin: 'admin',
  system: 'system',
} as const;

export type Role = (typeof ROLES)[keyof typeof ROLES];

export const ALL_ROLES: readonly Role[] = Object.values(ROLES);

export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}
