/** Shared queries with caching: institutions (reference data), server capabilities, the module list. */
import { useQuery } from '@tanstack/react-query';
import { api } from './api/client';
import { organizations, searchParams } from './api/fhir';

export interface NavEntry {
  path: string;
  label: { zh: string; en: string };
  roles: string[];
  icon?: string;
}
export interface ModuleInfo {
  id: string;
  name: { zh: string; en: string };
  nav: NavEntry[];
}

export function useOrganizations() {
  return useQuery({ queryKey: ['organizations'], queryFn: organizations, staleTime: 10 * 60_000 });
}

export function usePatientSearchParams() {
  return useQuery({ queryKey: ['search-params', 'Patient'], queryFn: () => searchParams('Patient'), staleTime: Infinity });
}

/** The module list query (also prefetched with the signed-in user, so the menu never waits behind page data). */
export const modulesQuery = {
  queryKey: ['modules'],
  queryFn: async () => (await api<{ modules: ModuleInfo[] }>('/api/modules')).modules,
  staleTime: Infinity,
};

export function useModules() {
  return useQuery(modulesQuery);
}
