import { decodeCursor } from '../domain/cursor.js';
import { badRequest } from './problem.js';

/** Reads `?cursor=` for lists keyed by one value; a cursor that does not decode is a 400 naming it. */
export function cursorAfter(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor, 1);
  if (!key || typeof key[0] !== 'string') throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
  return key[0];
}
