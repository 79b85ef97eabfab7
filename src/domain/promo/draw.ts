import { ALPHABETS, type Template } from './template.js';

/** Fills a buffer with random bytes; the caller injects `crypto.randomFillSync` (the domain reads no randomness itself). */
export type RandomFill = (buf: Uint8Array) => void;

const POOL_BYTES = 64 * 1024;
const WORD_BYTES = 1024 * 1024;

interface Slot {
  /** Position of the character in the code. */
  at: number;
  /** The token's alphabet in code-unit order, so that a code's index orders like the code itself. */
  chars: string;
  /** Bytes at or above this are rejected: the largest multiple of the alphabet size that fits in a byte. */
  limit: number;
}

/**
 * Sorts numbers drawn uniformly from [0, space) in linear time: a counting pass into as many buckets as
 * numbers (about one per bucket), then insertion sort inside each bucket.
 */
function sortUniform(a: Float64Array, space: number): void {
  const n = a.length;
  if (n < 64) {
    a.sort();
    return;
  }
  const scale = n / space;
  const starts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) starts[Math.min(n - 1, Math.floor(a[i] * scale)) + 1]++;
  for (let b = 0; b < n; b++) starts[b + 1] += starts[b];
  const fill = starts.slice(0, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[fill[Math.min(n - 1, Math.floor(a[i] * scale))]++] = a[i];
  for (let b = 0; b < n; b++) {
    const lo = starts[b];
    const hi = starts[b + 1];
    for (let i = lo + 1; i < hi; i++) {
      const x = out[i];
      let j = i - 1;
      while (j >= lo && out[j] > x) {
        out[j + 1] = out[j];
        j--;
      }
      out[j + 1] = x;
    }
  }
  a.set(out);
}

/**
 * Draws codes from a template with uniform characters: a byte is used only when it is below the largest
 * multiple of the alphabet size (rejection sampling), so no character is favoured by a modulo.
 *
 * Many distinct codes at once (`drawDistinct`) are drawn as their index in the template's space (a mixed-radix
 * number, exact below 2^53): indices sort and deduplicate as plain numbers, and come out as codes in
 * ascending order, which is how the unique index likes them.
 */
export class CodeDrawer {
  private readonly buf = new Uint8Array(POOL_BYTES);
  private pos = POOL_BYTES;
  /** drawDistinct's random words: one big buffer filled at once, read as 32-bit words. */
  private readonly wordBytes = new Uint8Array(WORD_BYTES);
  private readonly words = new Uint32Array(this.wordBytes.buffer);
  private wordPos = this.words.length;
  private readonly slots: Slot[] = [];
  /** The code with its literal text in place; token characters are written over it. */
  private readonly skeleton: Buffer | null;
  /** Distinct codes the template makes, when it is a safe integer (the fast path of drawDistinct). */
  private readonly space: number | null;
  /** Runs of slots, last first, whose combined space fits 31 bits. */
  private readonly groups: { first: number; last: number; space: number }[] = [];

  constructor(
    private readonly template: Template,
    private readonly fill: RandomFill,
  ) {
    let at = 0;
    let literal = '';
    let space = 1;
    for (const p of template.parts) {
      if (p.kind === 'literal') {
        literal += p.text;
        at += p.text.length;
        continue;
      }
      const chars = [...ALPHABETS[p.kind]].sort().join('');
      for (let i = 0; i < p.length; i++) {
        this.slots.push({ at: at++, chars, limit: 256 - (256 % chars.length) });
        literal += chars[0];
        space *= chars.length;
      }
    }
    const ascii = [...literal].every((c) => c.charCodeAt(0) < 0x80);
    this.skeleton = ascii ? Buffer.from(literal, 'latin1') : null;
    this.space = ascii && Number.isSafeInteger(space) ? space : null;
    for (let last = this.slots.length - 1; last >= 0; ) {
      let first = last;
      let g = this.slots[last].chars.length;
      while (first > 0 && g * this.slots[first - 1].chars.length < 2 ** 31) g *= this.slots[--first].chars.length;
      this.groups.push({ first, last, space: g });
      last = first - 1;
    }
  }

  private byte(): number {
    if (this.pos === POOL_BYTES) {
      this.fill(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++];
  }

  /** A uniform digit in [0, n) for an alphabet of n characters. */
  private digit(slot: Slot): number {
    let b = this.byte();
    while (b >= slot.limit) b = this.byte();
    return b % slot.chars.length;
  }

  draw(): string {
    let out = '';
    let s = 0;
    for (const p of this.template.parts) {
      if (p.kind === 'literal') {
        out += p.text;
        continue;
      }
      for (let i = 0; i < p.length; i++, s++) out += this.slots[s].chars[this.digit(this.slots[s])];
    }
    return out;
  }

  /** `count` codes, distinct among themselves. The caller bounds `count` by the capacity (see generationRefusal). */
  drawDistinct(count: number): string[] {
    if (this.space === null || count > this.space) {
      const seen = new Set<string>();
      while (seen.size < count) seen.add(this.draw());
      return [...seen];
    }
    const bases = Int32Array.from(this.slots, (x) => x.chars.length);
    // Each group of slots (its space below 2^31) is one uniform draw from a 32-bit word, rejected at or above
    // the largest multiple of the space that fits (no modulo bias); the index is the groups' mixed-radix sum.
    const G = this.groups.length;
    const spaces = Float64Array.from({ length: G }, (_, k) => this.groups[G - 1 - k].space);
    const limits = Float64Array.from(spaces, (sp) => 2 ** 32 - (2 ** 32 % sp));
    const words = this.words;
    let pos = this.wordPos;
    let have = new Float64Array(0);
    while (have.length < count) {
      const next = new Float64Array(count);
      next.set(have);
      for (let i = have.length; i < count; i++) {
        let v = 0;
        for (let k = 0; k < G; k++) {
          let w: number;
          do {
            if (pos === words.length) {
              this.fill(this.wordBytes);
              pos = 0;
            }
            w = words[pos++];
          } while (w >= limits[k]);
          v = v * spaces[k] + (w % spaces[k]);
        }
        next[i] = v;
      }
      sortUniform(next, this.space);
      let n = 0;
      for (let i = 0; i < next.length; i++) if (i === 0 || next[i] !== next[n - 1]) next[n++] = next[i];
      have = next.subarray(0, n);
    }
    this.wordPos = pos;
    // All codes in one buffer (literal text repeated, then the token characters), decoded once, then cut.
    const L = this.skeleton!.length;
    const all = Buffer.allocUnsafe(count * L).fill(this.skeleton!);
    // Characters of every slot in one table (slot s starts at s * 64), positions and groups as typed arrays.
    const chars = new Uint8Array(this.slots.length * 64);
    this.slots.forEach((x, k) => {
      for (let c = 0; c < x.chars.length; c++) chars[k * 64 + c] = x.chars.charCodeAt(c);
    });
    const at = Int32Array.from(this.slots, (x) => x.at);
    const gFirst = Int32Array.from(this.groups, (g) => g.first);
    const gLast = Int32Array.from(this.groups, (g) => g.last);
    const gSpace = Float64Array.from(this.groups, (g) => g.space);
    for (let i = 0; i < count; i++) {
      const base = i * L;
      let v = have[i];
      // Peel the index into groups that fit 31 bits, then each group into digits with integer arithmetic.
      for (let k = 0; k < G; k++) {
        let gv = v % gSpace[k];
        v = (v - gv) / gSpace[k];
        for (let s = gLast[k]; s >= gFirst[k]; s--) {
          const n = bases[s];
          const q = (gv / n) | 0;
          all[base + at[s]] = chars[s * 64 + gv - q * n];
          gv = q;
        }
      }
    }
    const text = all.toString('latin1');
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) out[i] = text.slice(i * L, i * L + L);
    return out;
  }
}
