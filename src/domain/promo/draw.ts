import { ALPHABETS, type Template } from './template.js';

/** Fills a buffer with random bytes; the caller injects `crypto.randomFillSync` (the domain reads no randomness itself). */
export type RandomFill = (buf: Uint8Array) => void;

const POOL_BYTES = 64 * 1024;

/**
 * Draws codes from a template with uniform characters: a byte is used only when it is below the largest
 * multiple of the alphabet size (rejection sampling), so no character is favoured by a modulo.
 */
export class CodeDrawer {
  private readonly buf = new Uint8Array(POOL_BYTES);
  private pos = POOL_BYTES;
  private readonly steps: ({ literal: string } | { chars: string; limit: number; length: number })[];

  constructor(
    template: Template,
    private readonly fill: RandomFill,
  ) {
    this.steps = template.parts.map((p) => {
      if (p.kind === 'literal') return { literal: p.text };
      const chars = ALPHABETS[p.kind];
      return { chars, limit: 256 - (256 % chars.length), length: p.length };
    });
  }

  private byte(): number {
    if (this.pos === POOL_BYTES) {
      this.fill(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++];
  }

  draw(): string {
    let out = '';
    for (const s of this.steps) {
      if ('literal' in s) {
        out += s.literal;
        continue;
      }
      const { chars, limit } = s;
      for (let i = 0; i < s.length; i++) {
        let b = this.byte();
        while (b >= limit) b = this.byte();
        out += chars[b % chars.length];
      }
    }
    return out;
  }

  /** `count` codes, distinct among themselves. The caller bounds `count` by the capacity (see generation.ts). */
  drawDistinct(count: number): string[] {
    const seen = new Set<string>();
    while (seen.size < count) seen.add(this.draw());
    return [...seen];
  }
}
