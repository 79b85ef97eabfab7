/**
 * Opaque pagination cursors: the sort key of the last item of a page, base64url-encoded JSON.
 * A cursor that does not decode to the expected shape is reported as bad input, never trusted.
 */
export type CursorKey = (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): CursorKey | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== arity) return null;
    if (!parsed.every((v) => typeof v === 'string' || typeof v === 'number')) return null;
    return parsed as CursorKey;
  } catch {
    return null;
  }
}

/** Splits one extra fetched row off a page and derives the next cursor from the last kept item. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): { items: T[]; next_cursor: string | null } {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(keyOf(items[items.length - 1])) };
}
