import { useMutation } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type FieldError, type Problem } from '../api/client';
import { innerPath, messageFor, placeError } from '../api/errors';

/**
 * The one form helper every form uses: it submits through the API and puts the API's problem+json
 * `errors[{path, message}]` next to the fields they name. Errors that name no field of the form are
 * listed above the submit button with their path, so nothing the server says is lost.
 */
export interface ApiForm<V> {
  id: string;
  values: V;
  set<K extends keyof V>(name: K, value: V[K]): void;
  /** Props for an input, select or textarea bound to a field. */
  bind<K extends keyof V & string>(name: K): {
    id: string;
    name: K;
    value: string;
    onChange: (e: { target: { value: string } }) => void;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  };
  errorsOf(name: string): string[];
  /** Errors at a nested path or below it (`nodes.3.config`), for editors of arrays and objects. */
  errorsAt(path: string): FieldError[];
  problem: Problem | null;
  /** Errors whose path names no field of this form. */
  unplaced: FieldError[];
  submitting: boolean;
  onSubmit(e?: FormEvent): void;
  reset(values?: V): void;
}

export interface ApiFormOptions<V, R> {
  initial: V;
  submit: (values: V) => Promise<R>;
  onSuccess?: (result: R, values: V) => void;
  /** Checks made before sending, reported in the API's own shape (e.g. a JSON text that does not parse). */
  validate?: (values: V) => FieldError[];
  /** Maps an error path to the field showing it; by default the longest field name the path starts with. */
  fieldOf?: (path: string) => string | undefined;
}

export function useApiForm<V extends Record<string, unknown>, R>(opts: ApiFormOptions<V, R>): ApiForm<V> {
  const id = useId();
  const [values, setValues] = useState<V>(opts.initial);
  const [problem, setProblem] = useState<Problem | null>(null);
  const mutation = useMutation<R, Error, V>({ mutationFn: opts.submit });
  const fields = useMemo(() => Object.keys(opts.initial), [opts.initial]);

  const placed = useMemo(() => {
    const byField: Record<string, string[]> = {};
    const unplaced: FieldError[] = [];
    for (const e of problem?.errors ?? []) {
      const f = opts.fieldOf ? opts.fieldOf(e.path) : placeError(e.path, fields);
      if (f) (byField[f] ??= []).push(messageFor(f, e.path, e.message));
      else unplaced.push(e);
    }
    return { byField, unplaced };
  }, [problem, fields, opts]);

  const set = useCallback(<K extends keyof V>(name: K, value: V[K]) => setValues((v) => ({ ...v, [name]: value })), []);

  const onSubmit = (e?: FormEvent) => {
    e?.preventDefault();
    const local = opts.validate?.(values) ?? [];
    if (local.length) {
      setProblem({ type: 'local', title: 'Check the form', status: 400, detail: 'Some fields need a fix.', errors: local });
      return;
    }
    setProblem(null);
    mutation.mutate(values, {
      onSuccess: (result) => opts.onSuccess?.(result, values),
      onError: (err) =>
        setProblem(err instanceof ApiError ? err.problem : { type: 'client', title: 'Error', status: 0, detail: err.message }),
    });
  };

  return {
    id,
    values,
    set,
    bind: (name) => {
      const errs = placed.byField[name];
      return {
        id: `${id}-${name}`,
        name,
        value: values[name] === undefined || values[name] === null ? '' : String(values[name]),
        onChange: (e) => set(name, e.target.value as V[typeof name]),
        'aria-invalid': Boolean(errs),
        'aria-describedby': errs ? `${id}-${name}-error` : undefined,
      };
    },
    errorsOf: (name) => placed.byField[name] ?? [],
    errorsAt: (path) => (problem?.errors ?? []).filter((e) => innerPath(e.path) === path || innerPath(e.path).startsWith(`${path}.`)),
    problem,
    unplaced: placed.unplaced,
    submitting: mutation.isPending,
    onSubmit,
    reset: (v) => {
      setValues(v ?? opts.initial);
      setProblem(null);
    },
  };
}

const FormContext = createContext<ApiForm<any> | null>(null);

/** A `<form>` bound to an ApiForm; it never lets the browser validate, so the API's own messages show. */
export function ApiFormView<V>({ form, children, className }: { form: ApiForm<V>; children: ReactNode; className?: string }) {
  return (
    <FormContext.Provider value={form}>
      <form noValidate onSubmit={form.onSubmit} className={className ?? 'form'} aria-busy={form.submitting}>
        {children}
      </form>
    </FormContext.Provider>
  );
}

/** A labelled field with the API's errors for it right under the control. */
export function Field({ name, path, label, hint, children, inline }: { name: string; path?: string; label: ReactNode; hint?: ReactNode; children: ReactNode; inline?: boolean }) {
  const form = useContext(FormContext);
  // `path` shows the errors of one nested value (`tiers.2.min_spend`) instead of a whole top-level field.
  const errors = (path ? form?.errorsAt(path).map((e) => messageFor(path, e.path, e.message)) : form?.errorsOf(name)) ?? [];
  const id = form ? `${form.id}-${name}` : name;
  return (
    <div className={`field${errors.length ? ' field--invalid' : ''}${inline ? ' field--inline' : ''}`} data-field={name}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children}
      {hint && !errors.length && <div className="field__hint">{hint}</div>}
      {errors.length > 0 && (
        <div className="field__error" id={`${id}-error`} role="alert">
          {errors.join('; ')}
        </div>
      )}
    </div>
  );
}

/** The problem's title and detail, and every error that names no field of the form. */
export function FormProblem() {
  const form = useContext(FormContext);
  if (!form?.problem) return null;
  const { problem, unplaced } = form;
  const hasPlaced = (problem.errors?.length ?? 0) > unplaced.length;
  return (
    <div className="alert alert--error" role="alert" data-testid="form-problem">
      <strong>{hasPlaced && !unplaced.length ? 'Please correct the highlighted fields.' : problem.detail || problem.title}</strong>
      {unplaced.length > 0 && (
        <ul>
          {unplaced.map((e, i) => (
            <li key={i}>
              <code>{e.path}</code> {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
