/**
 * Promo code templates: `{string N}`, `{upstring N}`, `{lowstring N}`, `{number N}`, `{symbol N}` and
 * literal text (`WELCOME-{number 6}`). Parsing names the position of the first problem; the capacity (how
 * many distinct codes a template can make) is exact, in BigInt.
 */
export const ALPHABETS = {
  string: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  upstring: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lowstring: 'abcdefghijklmnopqrstuvwxyz',
  number: '0123456789',
  symbol: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
} as const;
export type TokenKind = keyof typeof ALPHABETS;

export type Part = { kind: 'literal'; text: string } | { kind: TokenKind; length: number };
export interface Template {
  source: string;
  parts: Part[];
  /** Length of every code the template makes. */
  length: number;
}

/** The longest code a template may make; codes are typed by people and fit an index comfortably. */
export const MAX_CODE_LENGTH = 100;

export class TemplateError extends Error {
  constructor(
    /** 1-based character position in the template. */
    readonly position: number,
    readonly reason: string,
  ) {
    super(`at position ${position}: ${reason}`);
  }
}

const TOKEN_RE = /^\{\s*([a-z]+)\s+(\d+)\s*\}/i;

export function parseTemplate(source: string): Template {
  const parts: Part[] = [];
  let literal = '';
  let length = 0;
  let i = 0;
  const flush = () => {
    if (literal) parts.push({ kind: 'literal', text: literal });
    literal = '';
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === '}') throw new TemplateError(i + 1, 'a "}" without its "{"');
    if (ch !== '{') {
      if (ch.charCodeAt(0) < 0x20 || ch === '\u007f') throw new TemplateError(i + 1, 'control characters cannot be part of a code');
      literal += ch;
      length++;
      i++;
      continue;
    }
    const close = source.indexOf('}', i);
    if (close < 0) throw new TemplateError(i + 1, 'a "{" that is never closed');
    const m = TOKEN_RE.exec(source.slice(i, close + 1));
    if (!m) throw new TemplateError(i + 1, `"${source.slice(i, close + 1)}" is not a token; use {string N}, {upstring N}, {lowstring N}, {number N} or {symbol N}`);
    const kind = m[1].toLowerCase();
    if (!(kind in ALPHABETS)) throw new TemplateError(i + 1, `unknown token "${m[1]}"; use string, upstring, lowstring, number or symbol`);
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n < 1) throw new TemplateError(i + 1, 'a token needs a length of at least 1');
    flush();
    parts.push({ kind: kind as TokenKind, length: n });
    length += n;
    i = close + 1;
  }
  flush();
  if (length === 0) throw new TemplateError(1, 'the template is empty');
  if (length > MAX_CODE_LENGTH) throw new TemplateError(1, `codes would be ${length} characters long; at most ${MAX_CODE_LENGTH}`);
  return { source, parts, length };
}

/** How many distinct codes the template can make: the product of alphabet size ^ length over its tokens. */
export function capacity(t: Template): bigint {
  let c = 1n;
  for (const p of t.parts) if (p.kind !== 'literal') c *= BigInt(ALPHABETS[p.kind].length) ** BigInt(p.length);
  return c;
}

const CLASS: Record<TokenKind, string> = { string: '[a-zA-Z]', upstring: '[A-Z]', lowstring: '[a-z]', number: '[0-9]', symbol: '[A-Z0-9]' };
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regular expression that matches exactly the codes the template can make. */
export function templatePattern(t: Template): RegExp {
  const body = t.parts.map((p) => (p.kind === 'literal' ? escapeRe(p.text) : `${CLASS[p.kind]}{${p.length}}`)).join('');
  return new RegExp(`^${body}$`, 'u');
}
