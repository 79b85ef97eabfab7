import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { AuthProvider, PageFallback, RequireAuth } from './components/auth';
import { Layout } from './components/Layout';
import { ToastProvider } from './components/toast';
import LoginPage from './pages/login/LoginPage';
import { sections } from './sections';

const ProfileDetailPage = lazy(() => import('./pages/profiles/ProfileDetailPage'));
const JobPage = lazy(() => import('./pages/jobs/JobPage'));
const ComingSoon = lazy(() => import('./pages/placeholder/ComingSoon'));
const NotFound = lazy(() => import('./pages/placeholder/NotFound'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // An answer the server gave (4xx) will not change by asking again.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <ToastProvider>
          <Suspense fallback={<PageFallback />}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                element={
                  <RequireAuth>
                    <Layout />
                  </RequireAuth>
                }
              >
                <Route index element={<Navigate to="/profiles" replace />} />
                {sections.map((s) => {
                  const Page = s.page;
                  return <Route key={s.path} path={`${s.path}/*`} element={Page ? <Page /> : <ComingSoon section={s} />} />;
                })}
                <Route path="profiles/:id" element={<ProfileDetailPage />} />
                <Route path="jobs/:id" element={<JobPage />} />
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </Suspense>
          </ToastProvider>
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
