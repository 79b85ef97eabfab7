/**
 * One member's ledger held in memory, built only from the rules in ledger.ts and transactions.ts:
 * the reference the store's SQL follows, used by property tests and simulations.
 */
import {
  applyTakes,
  planConsumption,
  planCreditReversal,
  planExpiration,
  planRestore,
  reversibleLeft,
  type LedgerEntry,
  type Lot,
  type Take,
} from './ledger.js';
import { transition, type TransactionKind, type TransactionStatus, type TransitionError } from './transactions.js';

export interface MemoryTransaction {
  id: string;
  kind: TransactionKind;
  status: TransactionStatus;
  points: number;
  expiresAt: number | null;
  /** The entry written for it (a redemption at once; an accrual once it is no longer pending). */
  entryId: string | null;
}

export class MemoryLedger {
  readonly lots = new Map<string, Lot>();
  readonly entries: LedgerEntry[] = [];
  readonly transactions = new Map<string, MemoryTransaction>();
  private seq = 0;

  get balance(): number {
    return this.entries.reduce((s, e) => s + e.points, 0);
  }

  get pending(): number {
    let p = 0;
    for (const t of this.transactions.values()) if (t.kind === 'accrue' && t.status === 'held') p += t.points;
    return p;
  }

  private id(prefix: string): string {
    return `${prefix}${String(++this.seq).padStart(6, '0')}`;
  }

  private write(kind: LedgerEntry['kind'], takes: Take[], now: number, reverses: string | null = null, expiresAt: number | null = null, id = this.id('e')) {
    applyTakes(this.lots, takes);
    const entry: LedgerEntry = { id, kind, points: takes.reduce((s, t) => s + t.points, 0), takes, reverses, createdAt: now, expiresAt };
    this.entries.push(entry);
    return entry;
  }

  private credit(points: number, expiresAt: number | null, now: number): LedgerEntry {
    const id = this.id('e');
    this.lots.set(id, { id, remaining: 0, expiresAt, createdAt: now });
    return this.write('accrual', [{ lot: id, points }], now, null, expiresAt, id);
  }

  accrue(points: number, expiresAt: number | null, now: number, held = false): MemoryTransaction {
    const tx: MemoryTransaction = { id: this.id('t'), kind: 'accrue', status: held ? 'held' : 'done', points, expiresAt, entryId: null };
    if (!held) tx.entryId = this.credit(points, expiresAt, now).id;
    this.transactions.set(tx.id, tx);
    return tx;
  }

  redeem(points: number, now: number, held = false): MemoryTransaction | 'insufficient-points' {
    this.expire(now);
    const takes = planConsumption(this.lots.values(), points, now);
    if (!takes) return 'insufficient-points';
    const entry = this.write('redemption', takes, now);
    const tx: MemoryTransaction = { id: this.id('t'), kind: 'redeem', status: held ? 'held' : 'done', points, expiresAt: null, entryId: entry.id };
    this.transactions.set(tx.id, tx);
    return tx;
  }

  commit(txId: string, now: number): TransitionError | MemoryTransaction {
    const tx = this.transactions.get(txId)!;
    const next = transition(tx.status, 'commit');
    if (next !== 'done') return next as TransitionError;
    if (tx.kind === 'accrue') tx.entryId = this.credit(tx.points, tx.expiresAt, now).id;
    tx.status = next;
    return tx;
  }

  rollback(txId: string, now: number): TransitionError | MemoryTransaction {
    const tx = this.transactions.get(txId)!;
    const next = transition(tx.status, 'rollback');
    if (next !== 'rolled_back') return next as TransitionError;
    if (tx.kind === 'redeem') this.reverse(tx.entryId!, null, now);
    tx.status = next;
    return tx;
  }

  cancel(txId: string, now: number): TransitionError | MemoryTransaction {
    const tx = this.transactions.get(txId)!;
    const next = transition(tx.status, 'cancel');
    if (next !== 'canceled') return next as TransitionError;
    this.reverse(tx.entryId!, null, now);
    tx.status = next;
    return tx;
  }

  /** Reverses `amount` (all that is left when null) of an entry; returns the reversal, or null when nothing is left. */
  reverse(entryId: string, amount: number | null, now: number): LedgerEntry | null {
    const original = this.entries.find((e) => e.id === entryId);
    if (!original || original.kind === 'reversal' || original.kind === 'expiration') throw new Error('not reversible');
    const previous = this.entries.filter((e) => e.reverses === entryId);
    const left = reversibleLeft(original, previous);
    const n = amount === null ? left : Math.min(amount, left);
    if (n <= 0) return null;
    if (original.points < 0) {
      return this.write('reversal', planRestore(original.takes, previous.flatMap((p) => p.takes), n), now, entryId);
    }
    this.expire(now);
    const takes = planCreditReversal(this.lots.values(), original.id, n, now);
    if (!takes.length) return null;
    return this.write('reversal', takes, now, entryId);
  }

  /** Burns every expired lot: one `expiration` entry per lot. */
  expire(now: number): LedgerEntry[] {
    return planExpiration(this.lots.values(), now).map((t) => this.write('expiration', [t], now));
  }
}
