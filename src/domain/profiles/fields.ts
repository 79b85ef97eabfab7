export type Fields = Record<string, unknown>;

/** Profile fields merge shallowly: a key in the patch replaces the stored one; `null` removes it. */
export function mergeFields(current: Fields, patch: Fields | undefined): Fields {
  if (!patch) return current;
  const out: Fields = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
