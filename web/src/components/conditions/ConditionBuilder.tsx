import { useState, type ComponentType, type ReactNode } from 'react';
import type { FieldError } from '../../api/client';
import { Button } from '../ui';
import { childrenOf, errorsUnder, groupOp, isGroup, isNot, ownErrors, type CondNode, type Leaf } from './tree';

/** One kind of leaf the builder offers: how a new one looks and how it is edited. */
export interface LeafKindUI {
  key: string;
  label: string;
  create(): Leaf;
  /** A leaf is of this kind when it carries this key (default) or when `matches` says so. */
  matches?(leaf: Leaf): boolean;
  Editor: ComponentType<LeafEditorProps>;
}

export interface LeafEditorProps {
  value: Leaf;
  onChange(v: Leaf): void;
  /** Errors of this leaf, paths relative to it (`op`, `where.amount`, `''`). */
  errors: FieldError[];
}

interface Props {
  value: CondNode;
  onChange(v: CondNode): void;
  kinds: LeafKindUI[];
  /** Errors of the whole tree (API paths such as `conditions.all.2.op`). */
  errors?: FieldError[];
  /** The API path of the root (`conditions`, `nodes.3.config.conditions`). */
  path?: string;
}

const kindOf = (kinds: LeafKindUI[], leaf: Leaf) => kinds.find((k) => (k.matches ? k.matches(leaf) : k.key in leaf));

/**
 * Builds an all/any/not tree of leaves. Each node shows the API's errors at its own path, so a refused
 * tree points at the condition that is wrong.
 */
export function ConditionBuilder({ value, onChange, kinds, errors = [], path = 'conditions' }: Props) {
  const root = isGroup(value) ? value : { all: [value] };
  return (
    <div className="cond" data-testid="condition-builder">
      <GroupView node={root} onChange={onChange} kinds={kinds} errors={errors} path={isGroup(value) ? path : path} root />
    </div>
  );
}

function NodeErrors({ errors }: { errors: FieldError[] }) {
  if (!errors.length) return null;
  return (
    <div className="field__error" role="alert">
      {errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}
    </div>
  );
}

function AddMenu({ kinds, onAdd, allowGroup }: { kinds: LeafKindUI[]; onAdd: (n: CondNode) => void; allowGroup: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="cond__add">
      <Button variant="ghost" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        + Add condition
      </Button>
      {open && (
        <div className="menu" role="menu">
          {kinds.map((k) => (
            <button
              key={k.key}
              type="button"
              role="menuitem"
              className="menu__item"
              onClick={() => {
                onAdd(k.create());
                setOpen(false);
              }}
            >
              {k.label}
            </button>
          ))}
          {allowGroup && (
            <button
              type="button"
              role="menuitem"
              className="menu__item menu__item--sep"
              onClick={() => {
                onAdd({ any: [kinds[0].create()] });
                setOpen(false);
              }}
            >
              Group of conditions
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function GroupView({ node, onChange, kinds, errors, path, root }: { node: { all: CondNode[] } | { any: CondNode[] }; onChange(v: CondNode): void; kinds: LeafKindUI[]; errors: FieldError[]; path: string; root?: boolean }) {
  const op = groupOp(node);
  const children = childrenOf(node);
  const setChildren = (c: CondNode[]) => onChange(op === 'all' ? { all: c } : { any: c });
  const own = ownErrors(errors, path, [op]).concat(errorsUnder(errors, `${path}.${op}`).filter((e) => e.path === ''));
  return (
    <div className={`cond__group${root ? ' cond__group--root' : ''}`} data-cond-path={path}>
      <div className="cond__group-head">
        <select className="input input--auto" aria-label="Match" value={op} onChange={(e) => onChange(e.target.value === 'all' ? { all: children } : { any: children })}>
          <option value="all">All of these hold</option>
          <option value="any">Any of these holds</option>
        </select>
      </div>
      <NodeErrors errors={own} />
      <div className="cond__children">
        {children.map((c, i) => (
          <ChildView
            key={i}
            node={c}
            kinds={kinds}
            errors={errors}
            path={`${path}.${op}.${i}`}
            onChange={(n) => setChildren(children.map((x, j) => (j === i ? n : x)))}
            onRemove={() => setChildren(children.filter((_, j) => j !== i))}
            label={i === 0 ? 'where' : op === 'all' ? 'and' : 'or'}
          />
        ))}
        {children.length === 0 && <div className="muted small">No conditions yet.</div>}
      </div>
      <AddMenu kinds={kinds} allowGroup onAdd={(n) => setChildren([...children, n])} />
    </div>
  );
}

function ChildView({ node, onChange, onRemove, kinds, errors, path, label }: { node: CondNode; onChange(v: CondNode): void; onRemove(): void; kinds: LeafKindUI[]; errors: FieldError[]; path: string; label: ReactNode }) {
  const negated = isNot(node);
  const inner = negated ? node.not : node;
  const innerPath = negated ? `${path}.not` : path;
  const set = (n: CondNode) => onChange(negated ? { not: n } : n);
  return (
    <div className="cond__child">
      <div className="cond__joint">{label}</div>
      <div className="cond__body">
        <div className="cond__tools">
          <label className="check small" title="The condition must NOT hold">
            <input type="checkbox" checked={negated} onChange={() => onChange(negated ? inner : { not: inner })} /> not
          </label>
          <Button variant="ghost" onClick={onRemove} aria-label="Remove condition">
            Remove
          </Button>
        </div>
        {isGroup(inner) ? (
          <GroupView node={inner} onChange={set} kinds={kinds} errors={errors} path={innerPath} />
        ) : (
          <LeafView leaf={inner} onChange={set} kinds={kinds} errors={errors} path={innerPath} />
        )}
      </div>
    </div>
  );
}

function LeafView({ leaf, onChange, kinds, errors, path }: { leaf: Leaf; onChange(v: CondNode): void; kinds: LeafKindUI[]; errors: FieldError[]; path: string }) {
  const kind = kindOf(kinds, leaf);
  const own = errorsUnder(errors, path);
  return (
    <div className={`cond__leaf${own.length ? ' cond__leaf--invalid' : ''}`} data-cond-path={path} data-kind={kind?.key ?? 'unknown'}>
      <div className="cond__kind">{kind?.label ?? 'Condition'}</div>
      {kind ? <kind.Editor value={leaf} onChange={onChange} errors={own} /> : <RawLeaf value={leaf} onChange={onChange} />}
      <NodeErrors errors={own} />
    </div>
  );
}

/** A leaf no editor knows, edited as JSON. */
export function RawLeaf({ value, onChange }: { value: Leaf; onChange(v: Leaf): void }) {
  const [text, setText] = useState(() => JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return (
    <input
      className="input input--mono"
      aria-label="Condition as JSON"
      aria-invalid={bad}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        try {
          const v: unknown = JSON.parse(e.target.value);
          if (v && typeof v === 'object' && !Array.isArray(v)) {
            setBad(false);
            onChange(v as Leaf);
          } else setBad(true);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}
