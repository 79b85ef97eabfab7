/**
 * Splits a migration into single statements (the extended protocol, which PGlite uses for every query,
 * takes one at a time). Respects single-quoted strings, double-quoted names, dollar-quoted bodies and comments.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '$') {
      const m = /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (m) {
        const end = text.indexOf(m[0], i + m[0].length);
        i = end < 0 ? text.length : end + m[0].length;
      } else i++;
    } else if (c === ';') {
      const stmt = text.slice(start, i).trim();
      if (stmt) out.push(stmt);
      start = ++i;
    } else i++;
  }
  const last = text.slice(start).trim();
  if (last && !/^(--[^\n]*\n?\s*)*$/.test(last)) out.push(last);
  return out;
}
