/**
 * Loyalty transactions over the ledger: what `accrue`/`redeem` calls become and how a transaction moves.
 *
 * - A done accrual writes an `accrual` entry (a new lot) at once. A held accrual (`hold`) or one inside
 *   the program's `accrual_hold` is pending: no entry yet, counted in `pending`; commit (or the hold's end)
 *   writes the entry, rollback drops it.
 * - A redemption writes its `redemption` entry at once, held or not, so held points are reserved and can
 *   never be spent twice; commit only marks it done, rollback writes the reversal that puts the points back.
 * - `cancel` reverses a done transaction; a refund reverses part of one.
 */
export type TransactionKind = 'accrue' | 'redeem';
/** `pending`: an accrual inside the program's `accrual_hold`, released by the worker when the hold ends. */
export type TransactionStatus = 'held' | 'pending' | 'done' | 'rolled_back' | 'canceled';

export type TransitionError = 'transaction-not-held' | 'transaction-not-done';

/** What commit/rollback/cancel may do from a status; an error slug when the move is not allowed. */
export function transition(status: TransactionStatus, action: 'commit' | 'rollback' | 'cancel'): TransactionStatus | TransitionError {
  if (action === 'commit') return status === 'held' ? 'done' : 'transaction-not-held';
  if (action === 'rollback') return status === 'held' ? 'rolled_back' : 'transaction-not-held';
  return status === 'done' || status === 'pending' ? 'canceled' : 'transaction-not-done';
}
