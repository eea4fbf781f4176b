/** The signed-in user (GET /auth/me), sign-in and sign-out, and the redirect to /login when the session expires. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { api, hasSession, login as apiLogin, logout as apiLogout, onSessionExpired } from './api/client';
import { modulesQuery } from './hooks';

export interface Me {
  /** User id (audit rows name users by it). */
  subject?: string;
  username?: string;
  roles: string[];
  organizationId?: string;
  practitionerId?: string;
  patientId?: string;
}

interface Auth {
  me: Me | undefined;
  loading: boolean;
  /** Why the signed-in user could not be loaded (a session that is no longer valid expires instead). */
  error: unknown;
  retry(): void;
  login(username: string, password: string, totp?: string): Promise<void>;
  logout(): Promise<void>;
  has(...roles: string[]): boolean;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [signedIn, setSignedIn] = useState(hasSession());
  const meQuery = useQuery({
    queryKey: ['me'],
    queryFn: () => {
      // The menu is needed on every page: ask for it together with the user, before the page's own data.
      void qc.prefetchQuery(modulesQuery);
      return api<Me>('/auth/me');
    },
    enabled: signedIn,
    staleTime: Infinity,
  });
  useEffect(
    () =>
      onSessionExpired(() => {
        setSignedIn(false);
        qc.clear();
        navigate('/login?expired=1', { replace: true });
      }),
    [qc, navigate],
  );
  const login = useCallback(
    async (username: string, password: string, totp?: string) => {
      await apiLogin(username, password, totp);
      qc.clear();
      setSignedIn(true);
    },
    [qc],
  );
  const logout = useCallback(async () => {
    await apiLogout();
    qc.clear();
    setSignedIn(false);
    navigate('/login?bye=1', { replace: true });
  }, [qc, navigate]);
  const me = signedIn ? meQuery.data : undefined;
  const value: Auth = {
    me,
    loading: signedIn && meQuery.isLoading,
    error: signedIn ? meQuery.error : null,
    retry: () => void meQuery.refetch(),
    login,
    logout,
    has: (...roles) => !!me?.roles.some((r) => roles.includes(r)),
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
