import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, setUnauthorizedHandler, tokenStore } from '../api/client';
import type { Token } from '../api/types';
import { Spinner } from './ui';

interface Auth {
  token: string | null;
  me: Token | undefined;
  login(token: string): void;
  logout(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}

/** Holds the pasted token (kept in localStorage); any 401 from the API ends the session. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(tokenStore.get);
  const client = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();

  const logout = useCallback(() => {
    tokenStore.clear();
    setToken(null);
    client.clear();
  }, [client]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      logout();
      if (!window.location.pathname.startsWith('/login')) navigate(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
    });
  }, [logout, navigate]);

  const me = useQuery({ queryKey: ['whoami', token], queryFn: () => api.get<Token>('/whoami'), enabled: Boolean(token), staleTime: 60_000 });

  const value = useMemo<Auth>(
    () => ({
      token,
      me: me.data,
      login: (t) => {
        tokenStore.set(t);
        setToken(t);
      },
      logout,
    }),
    [token, me.data, logout],
  );
  void location;
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

export function PageFallback() {
  return (
    <div className="page-fallback">
      <Spinner />
    </div>
  );
}
