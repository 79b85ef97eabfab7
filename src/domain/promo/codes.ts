import { MAX_CODE_LENGTH } from './template.js';

/** Why a code from a file or a remote service cannot be stored, or null when it can (after trimming). */
export function codeProblem(raw: string): string | null {
  const code = raw.trim();
  if (!code) return 'the code is empty';
  if (code.length > MAX_CODE_LENGTH) return `the code is longer than ${MAX_CODE_LENGTH} characters`;
  for (const ch of code) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c === 0x7f || /\s/u.test(ch)) return 'the code contains a space or a control character';
  }
  return null;
}
