/** Where a problem+json error belongs in a form: pure, so it is tested without a browser. */

/**
 * The form field that shows an error at `path`: the longest field name the path equals or starts with
 * (`fields.city` → `fields`), after the API's `query.` / `body.` / `params.` prefix is dropped; undefined
 * when no field of the form matches (the form lists it above its buttons instead).
 */
export function placeError(path: string, fields: readonly string[]): string | undefined {
  const p = innerPath(path);
  let best: string | undefined;
  for (const f of fields) if ((p === f || p.startsWith(`${f}.`)) && (!best || f.length > best.length)) best = f;
  return best;
}

export function innerPath(path: string): string {
  return path.replace(/^(query|body|params)\./, '');
}

/** The message shown under `field`: a nested path keeps its inner part (`city: must be a string`). */
export function messageFor(field: string, path: string, message: string): string {
  const p = innerPath(path);
  return p.startsWith(`${field}.`) ? `${p.slice(field.length + 1)}: ${message}` : message;
}
