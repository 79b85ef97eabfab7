import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Clock } from '../domain/clock.js';
import { statusAt } from '../domain/promo/lifecycle.js';
import type { Executor } from '../store/db.js';
import { exportPage } from '../store/promo.js';

const PAGE = 5000;
const PROFILE_FIELD_RE = /^(email|phone|external_id|fields\.[^\s,]{1,100})$/;
export const CODE_COLUMNS = ['code', 'status', 'profile_id', 'issued_at', 'expires_at', 'redeemed_at', 'order_id'] as const;

/** Parses `?fields=email,phone,fields.first_name`; returns the list or the bad names. */
export function exportFields(text: string | undefined): { fields: string[] } | { bad: string[] } {
  const fields = (text ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  const bad = fields.filter((f) => !PROFILE_FIELD_RE.test(f));
  return bad.length ? { bad } : { fields: [...new Set(fields)] };
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '');

/**
 * The pool's codes as CSV, one row per code with the chosen fields of the profile it is issued to. Pages
 * through the table by keyset and writes as the client reads: constant memory for millions of codes.
 */
export function exportCodes(ex: Executor, clock: Clock, poolId: string, fields: string[]): Readable {
  async function* rows() {
    yield [...CODE_COLUMNS, ...fields];
    const now = clock.now();
    let after = 0;
    while (true) {
      const page = await exportPage(ex, poolId, after, PAGE);
      for (const r of page) {
        const profile = (f: string) => {
          if (f === 'email') return r.email ?? '';
          if (f === 'phone') return r.phone ?? '';
          if (f === 'external_id') return r.external_id ?? '';
          const v = r.profile_fields?.[f.slice('fields.'.length)];
          return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        };
        yield [r.code, statusAt(r, now), r.profile_id ?? '', iso(r.issued_at), iso(r.expires_at), iso(r.redeemed_at), r.order_id ?? '', ...fields.map(profile)];
      }
      if (page.length < PAGE) return;
      after = Number(page[page.length - 1].seq);
    }
  }
  const out = stringify();
  const src = Readable.from(rows());
  src.on('error', (err) => out.destroy(err));
  return src.pipe(out);
}
