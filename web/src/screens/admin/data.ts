import { useQuery } from '@tanstack/react-query';
import { api } from '../../api.js';
import type { Business, BusinessList, SystemStatus } from '../../types-admin.js';

// One query hook per admin resource; a change (a new business, a new cap) invalidates ADMIN_KEY.
export const ADMIN_KEY = ['admin'] as const;

export function useBusinesses() {
  return useQuery({
    queryKey: [...ADMIN_KEY, 'businesses'],
    queryFn: () => api<BusinessList>('GET', '/api/v1/admin/businesses/'),
  });
}

export function useBusiness(id: string) {
  return useQuery({
    queryKey: [...ADMIN_KEY, 'business', id],
    queryFn: () => api<Business>('GET', `/api/v1/admin/businesses/${encodeURIComponent(id)}/`),
    retry: false,
  });
}

export function useSystem() {
  return useQuery({
    queryKey: [...ADMIN_KEY, 'system'],
    queryFn: () => api<SystemStatus>('GET', '/api/v1/admin/system/'),
    staleTime: 10_000,
  });
}
