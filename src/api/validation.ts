import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from './problem.js';

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/** Bodies are validated strictly (a string is not a number); query strings and path params are coerced. */
export const bodyAjv = makeAjv(false);
export const queryAjv = makeAjv(true);

const compiled = new WeakMap<object, ValidateFunction>();
export function compileBody(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = bodyAjv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** Turns Ajv's errors into `{path, message}` with dotted paths (`events.3.name`), one per bad field. */
export function fieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const parts = e.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      parts.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    }
    if (e.keyword === 'additionalProperties') {
      parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'is not a known field';
    }
    if (e.keyword === 'enum') message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    // anyOf/oneOf repeat the branch errors; keep the specific ones.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const path = [prefix, ...parts].filter(Boolean).join('.') || (prefix ? prefix : '(body)');
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}
