import { useEffect, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { ApiError } from '../api/client';

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

export function Button({ variant = 'secondary', busy, children, className, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button type="button" {...rest} className={`btn btn--${variant}${className ? ` ${className}` : ''}`} disabled={rest.disabled || busy} aria-busy={busy}>
      {busy && <span className="spinner spinner--small" aria-hidden />}
      {children}
    </button>
  );
}

export function PageHeader({ title, subtitle, actions, back }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: ReactNode }) {
  useEffect(() => {
    if (typeof title === 'string') document.title = `${title} · Retenta`;
  }, [title]);
  return (
    <header className="page-header">
      <div>
        {back && <div className="page-header__back">{back}</div>}
        <h1>{title}</h1>
        {subtitle && <p className="page-header__subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-header__actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, actions, children, className, testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} data-testid={testId}>
      {(title || actions) && (
        <div className="card__header">
          {title && <h2 className="card__title">{title}</h2>}
          {actions && <div className="card__actions">{actions}</div>}
        </div>
      )}
      <div className="card__body">{children}</div>
    </section>
  );
}

const TONES: Record<string, string> = {
  subscribed: 'green',
  done: 'green',
  admin: 'violet',
  write: 'blue',
  read: 'gray',
  pending: 'amber',
  running: 'blue',
  unsubscribed: 'gray',
  suppressed: 'red',
  failed: 'red',
  event: 'blue',
  active: 'green',
  paused: 'amber',
  draft: 'gray',
  stopped: 'red',
  dynamic: 'blue',
  static: 'violet',
  available: 'blue',
  issued: 'amber',
  redeemed: 'green',
  expired: 'gray',
  deleted: 'red',
  sent: 'green',
  queued: 'blue',
  skipped: 'gray',
  new: 'blue',
  paid: 'green',
  delivered: 'violet',
  canceled: 'red',
  refunded: 'gray',
  part_refunded: 'amber',
  accrual: 'green',
  redemption: 'amber',
  expiration: 'gray',
  reversal: 'red',
  adjustment: 'blue',
  held: 'amber',
  completed: 'green',
  exited: 'gray',
  waiting: 'amber',
};

export function Badge({ children, tone }: { children: ReactNode; tone?: string }) {
  const t = tone ?? (typeof children === 'string' ? TONES[children] : undefined) ?? 'gray';
  return <span className={`badge badge--${t}`}>{children}</span>;
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden /> {label}
    </div>
  );
}

export function Empty({ title, children, icon }: { title: ReactNode; children?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="empty">
      {icon && <div className="empty__icon">{icon}</div>}
      <div className="empty__title">{title}</div>
      {children && <div className="empty__text">{children}</div>}
    </div>
  );
}

export function ErrorState({ error }: { error: unknown }) {
  const message = error instanceof ApiError ? error.problem.detail || error.problem.title : error instanceof Error ? error.message : String(error);
  return (
    <div className="alert alert--error" role="alert">
      {message}
    </div>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateFormat.format(new Date(iso)) : '—';
}

export function relativeTime(iso: string, now = Date.now()): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return relFormat.format(s, 'second');
  if (abs < 2700) return relFormat.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return relFormat.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 30) return relFormat.format(Math.round(s / 86400), 'day');
  return dateFormat.format(new Date(iso));
}

export function Time({ iso, relative }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toISOString()}>
      {relative ? relativeTime(iso) : formatDate(iso)}
    </time>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="secondary"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        );
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </Button>
  );
}

export function JsonView({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Previous / next over cursor pages: the list keeps the cursors it has passed. */
export function Pager({ page, hasNext, onPrev, onNext }: { page: number; hasNext: boolean; onPrev: () => void; onNext: () => void }) {
  return (
    <div className="pager">
      <Button variant="secondary" onClick={onPrev} disabled={page === 0}>
        ← Previous
      </Button>
      <span className="pager__page">Page {page + 1}</span>
      <Button variant="secondary" onClick={onNext} disabled={!hasNext}>
        Next →
      </Button>
    </div>
  );
}

/** Tabs over one screen's parts; the active one is kept by the caller (often in the URL). */
export function Tabs<T extends string>({ tabs, active, onChange, label }: { tabs: { id: T; label: ReactNode }[]; active: T; onChange: (id: T) => void; label: string }) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t) => (
        <button key={t.id} type="button" role="tab" aria-selected={t.id === active} className={`tabs__tab${t.id === active ? ' tabs__tab--active' : ''}`} onClick={() => onChange(t.id)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** A panel over the screen (create/edit forms); Escape or the backdrop closes it. */
export function Modal({ title, onClose, children, wide }: { title: ReactNode; onClose: () => void; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal__panel${wide ? ' modal__panel--wide' : ''}`} role="dialog" aria-modal="true" aria-label={typeof title === 'string' ? title : undefined}>
        <div className="modal__header">
          <h2>{title}</h2>
          <button type="button" className="modal__close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <div className="modal__body">{children}</div>
      </div>
    </div>
  );
}

/** A row of headline figures. */
export function Stats({ items }: { items: { label: ReactNode; value: ReactNode; bad?: boolean }[] }) {
  return (
    <div className="stats">
      {items.map((s, i) => (
        <div className={`stat${s.bad ? ' stat--bad' : ''}`} key={i}>
          <div className="stat__value">{s.value}</div>
          <div className="stat__label">{s.label}</div>
        </div>
      ))}
    </div>
  );
}

/** A labelled key/value list. */
export function KeyValues({ rows, testId }: { rows: [ReactNode, ReactNode][]; testId?: string }) {
  return (
    <dl className="kv" data-testid={testId}>
      {rows.map(([k, v], i) => (
        <div className="kv__row" key={i}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? <span className="muted">—</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A money amount in a currency's major unit, as the API sends it. */
export function formatMoney(amount: number | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined) return '—';
  if (!currency) return amount.toFixed(2);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}
