import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import type { Token } from '../../api/types';
import { useAuth } from '../../components/auth';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Button } from '../../components/ui';

const initial = { token: '' };

/** Paste an API token (admin, write or read); it is checked against the API, then kept in this browser. */
export default function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const form = useApiForm({
    initial,
    validate: (v) => (v.token.trim() ? [] : [{ path: 'token', message: 'paste an API token' }]),
    // A refused token is an error of the token field, like any field error the API names.
    submit: (v) =>
      api.withToken<Token>(v.token.trim(), '/whoami').catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) throw new ApiError({ ...err.problem, errors: [{ path: 'token', message: 'this token is not valid' }] });
        throw err;
      }),
    onSuccess: (_me, v) => {
      login(v.token.trim());
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/profiles', { replace: true });
    },
  });
  return (
    <div className="login">
      <div className="login__panel">
        <div className="brand brand--large">
          <span className="brand__mark">R</span>
          <span className="brand__name">Retenta</span>
        </div>
        <h1 className="login__title">Sign in</h1>
        <p className="login__text">Paste an API token. An admin token can do everything; write and read tokens see what their scope allows.</p>
        <ApiFormView form={form}>
          <Field name="token" label="API token" hint="Created with retenta start (printed once) or on the API tokens screen.">
            <input {...form.bind('token')} type="password" autoComplete="off" autoFocus placeholder="rt_…" className="input" />
          </Field>
          {form.unplaced.length > 0 || (form.problem && !form.problem.errors?.length) ? <FormProblem /> : null}
          <Button type="submit" variant="primary" busy={form.submitting} className="btn--block">
            Sign in
          </Button>
        </ApiFormView>
      </div>
    </div>
  );
}
