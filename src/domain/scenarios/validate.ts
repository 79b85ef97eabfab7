import { isPlainObject } from '../conditions/tree.js';
import { parseDuration } from '../duration.js';
import { CHANNELS } from '../profiles/subscriptions.js';
import { validateScenarioConditions } from './conditions.js';
import { eventPath } from './matching.js';
import { isStartType, isStepType, START_TYPES, STEP_TYPES, type Fault, type ScenarioDefinition, type ScenarioNode, type ScenarioRefs } from './model.js';
import { cronFault, isTimezone, parseInstant, parseTimeOfDay } from './time.js';
import { parseWhere } from '../conditions/where.js';

/**
 * Every fault of a scenario graph, so activation can list them all at once.
 *
 * Graph rules:
 * - at least one start node (trigger.*); a start node is never the target of an edge;
 * - every `next` and branch target names a node; every node is reachable from a start node;
 * - branches: condition needs `yes` and `no`; wait_event needs `received` and `timeout`; split needs one
 *   branch per variant label; promo_code, loyalty_points and webhook may have `failed` (taken when the
 *   request fails; without it the instance fails); other labels are faults;
 * - a node without `next` ends the instance (completed). That is allowed only where the node's own work
 *   is the point: exit, goal, send, update_profile, loyalty_points and webhook. A start node, wait,
 *   promo_code (a code issued and never shown) without `next` is a dead end; exit may not have `next`;
 * - every cycle passes through a wait or wait_event (else an instance would loop in one instant).
 */

const CAN_END = new Set(['exit', 'goal', 'send', 'update_profile', 'loyalty_points', 'webhook']);
const WAITS = new Set(['wait', 'wait_event']);
const REQUIRED_BRANCHES: Record<string, string[]> = { condition: ['yes', 'no'], wait_event: ['received', 'timeout'] };
const OPTIONAL_BRANCHES: Record<string, string[]> = { promo_code: ['failed'], loyalty_points: ['failed'], webhook: ['failed'] };
const BRANCHING = new Set(['condition', 'wait_event', 'split']);
const NODE_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const REENTRY = ['once', 'ignore', 'restart', 'new_instance'];

type Push = (path: string, message: string) => void;

const positiveDuration = (v: unknown) => {
  const d = typeof v === 'string' ? parseDuration(v) : null;
  return d !== null && !d.negative && (d.years || d.months || d.weeks || d.days || d.hours || d.minutes || d.seconds) > 0;
};

function checkWhere(where: unknown, path: string, push: Push) {
  if (where === undefined) return;
  const r = parseWhere(where, path);
  if (r.length && 'message' in r[0]) for (const f of r as { path: string; message: string }[]) push(f.path, f.message);
}

function checkRef(value: unknown, path: string, kind: string, set: Set<string> | undefined, push: Push) {
  if (typeof value !== 'string' || !value) push(path, `must be a ${kind} id`);
  else if (set && !set.has(value)) push(path, `names a ${kind} that does not exist: ${value}`);
}

function checkConfig(node: ScenarioNode, base: string, refs: ScenarioRefs, push: Push) {
  const c = node.config ?? {};
  const at = (k: string) => `${base}.config.${k}`;
  if (node.config !== undefined && !isPlainObject(node.config)) {
    push(`${base}.config`, 'must be an object');
    return;
  }
  switch (node.type) {
    case 'trigger.event':
      if (typeof c.event !== 'string' || !c.event) push(at('event'), 'must be an event name');
      checkWhere(c.where, at('where'), push);
      break;
    case 'trigger.api':
      break;
    case 'trigger.date':
      if (!parseInstant(c.at)) push(at('at'), 'must be an ISO 8601 date-time such as 2026-05-01T10:00:00Z');
      checkRef(c.segment_id, at('segment_id'), 'segment', refs.segments, push);
      break;
    case 'trigger.schedule': {
      const f = cronFault(c.cron);
      if (f) push(at('cron'), f);
      if (c.timezone !== undefined && !isTimezone(c.timezone)) push(at('timezone'), 'must be an IANA time zone such as Europe/Berlin');
      checkRef(c.segment_id, at('segment_id'), 'segment', refs.segments, push);
      break;
    }
    case 'trigger.segment_entry':
      checkRef(c.segment_id, at('segment_id'), 'segment', refs.segments, push);
      break;
    case 'trigger.field_date':
      if (typeof c.field !== 'string' || !/^fields\.[\p{L}_][\p{L}\p{N}_-]*$/u.test(c.field)) push(at('field'), 'must name a profile field such as fields.birthday');
      if (c.offset !== undefined && (typeof c.offset !== 'string' || !parseDuration(c.offset))) push(at('offset'), 'must be an ISO 8601 duration such as -P3D');
      if (c.time !== undefined && !parseTimeOfDay(c.time)) push(at('time'), 'must be a time of day HH:MM');
      if (c.yearly !== undefined && typeof c.yearly !== 'boolean') push(at('yearly'), 'must be true or false');
      break;
    case 'send':
      if (typeof c.channel !== 'string' || !(CHANNELS as readonly string[]).includes(c.channel)) push(at('channel'), `must be one of ${CHANNELS.join(', ')}`);
      checkRef(c.template_id, at('template_id'), 'template', refs.templates, push);
      if (c.require_subscription !== undefined && typeof c.require_subscription !== 'boolean') push(at('require_subscription'), 'must be true or false');
      break;
    case 'wait': {
      const hasD = c.duration !== undefined;
      const hasT = c.until_time !== undefined;
      if (hasD === hasT) push(`${base}.config`, 'must hold either duration or until_time');
      if (hasD && !positiveDuration(c.duration)) push(at('duration'), 'must be a positive ISO 8601 duration such as PT1H');
      if (hasT && !parseTimeOfDay(c.until_time)) push(at('until_time'), 'must be a time of day HH:MM');
      break;
    }
    case 'wait_event':
      if (typeof c.event !== 'string' || !c.event) push(at('event'), 'must be an event name');
      checkWhere(c.where, at('where'), push);
      if (!positiveDuration(c.timeout)) push(at('timeout'), 'must be a positive ISO 8601 duration such as PT1H');
      if (c.match !== undefined) {
        if (!isPlainObject(c.match)) push(at('match'), 'must map event paths to data paths, e.g. {"properties.cart_id": "data.cart_id"}');
        else
          for (const [k, v] of Object.entries(c.match)) {
            if (!eventPath(k)) push(at(`match.${k}`), 'is not an event path such as properties.cart_id');
            if (v === undefined || v === null || (typeof v === 'object')) push(at(`match.${k}`), 'must be a data path such as data.cart_id or a scalar');
          }
      }
      break;
    case 'condition':
      if (c.conditions === undefined) push(at('conditions'), 'is required');
      else for (const f of validateScenarioConditions(c.conditions, at('conditions'))) push(f.path, f.message);
      break;
    case 'split': {
      const vs = c.variants;
      if (!Array.isArray(vs) || vs.length < 2) {
        push(at('variants'), 'must list at least two variants {label, weight}');
        break;
      }
      const seen = new Set<string>();
      vs.forEach((v, i) => {
        const p = at(`variants.${i}`);
        if (!isPlainObject(v)) return push(p, 'must be {label, weight}');
        if (typeof v.label !== 'string' || !v.label) push(`${p}.label`, 'must be a label');
        else if (seen.has(v.label)) push(`${p}.label`, `repeats the label ${v.label}`);
        else seen.add(v.label);
        if (typeof v.weight !== 'number' || !Number.isFinite(v.weight) || v.weight <= 0) push(`${p}.weight`, 'must be a positive number');
      });
      break;
    }
    case 'promo_code':
      checkRef(c.pool_id, at('pool_id'), 'pool', refs.pools, push);
      break;
    case 'loyalty_points':
      checkRef(c.program_id, at('program_id'), 'program', refs.programs, push);
      if (c.action !== 'accrue' && c.action !== 'redeem') push(at('action'), 'must be accrue or redeem');
      if (c.promotion_id !== undefined) checkRef(c.promotion_id, at('promotion_id'), 'promotion', refs.promotions, push);
      if (c.points === undefined || c.points === null) {
        if (c.promotion_id === undefined) push(at('points'), 'must be a positive whole number (or left out with a promotion_id)');
      } else if (typeof c.points !== 'number' || !Number.isInteger(c.points) || c.points <= 0) push(at('points'), 'must be a positive whole number');
      if (c.expires_in !== undefined && !positiveDuration(c.expires_in)) push(at('expires_in'), 'must be a positive ISO 8601 duration such as P1Y');
      break;
    case 'update_profile':
      if (!isPlainObject(c.set) || !Object.keys(c.set).length) push(at('set'), 'must be an object of field → value');
      break;
    case 'webhook': {
      let ok = false;
      try {
        const u = new URL(String(c.url));
        ok = u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) push(at('url'), 'must be an http(s) URL');
      if (c.method !== undefined && !METHODS.includes(String(c.method))) push(at('method'), `must be one of ${METHODS.join(', ')}`);
      break;
    }
    case 'goal':
      if (typeof c.name !== 'string' || !c.name) push(at('name'), 'must be a goal name');
      break;
    case 'exit':
      break;
  }
}

function validateSettings(def: ScenarioDefinition, faults: Fault[]) {
  const s = def.settings as unknown;
  const push: Push = (path, message) => faults.push({ path, message });
  if (!isPlainObject(s)) return push('settings', 'must be an object');
  if (!REENTRY.includes(s.reentry as string)) push('settings.reentry', `must be one of ${REENTRY.join(', ')}`);
  if (s.exit_on !== undefined) {
    if (!Array.isArray(s.exit_on)) push('settings.exit_on', 'must be a list of {event, where?}');
    else
      s.exit_on.forEach((r, i) => {
        if (!isPlainObject(r) || typeof r.event !== 'string' || !r.event) return push(`settings.exit_on.${i}.event`, 'must be an event name');
        checkWhere(r.where, `settings.exit_on.${i}.where`, push);
      });
  }
  if (s.goal !== undefined) {
    const g = s.goal;
    if (!isPlainObject(g) || typeof g.event !== 'string' || !g.event) push('settings.goal.event', 'must be an event name');
    else {
      checkWhere(g.where, 'settings.goal.where', push);
      if (g.within !== undefined && !positiveDuration(g.within)) push('settings.goal.within', 'must be a positive ISO 8601 duration such as P7D');
    }
  }
  const m = s.max_active_per_profile;
  if (m !== undefined && (typeof m !== 'number' || !Number.isInteger(m) || m < 1)) push('settings.max_active_per_profile', 'must be a whole number of at least 1');
  if (s.timezone !== undefined && !isTimezone(s.timezone)) push('settings.timezone', 'must be an IANA time zone such as Europe/Berlin');
  const h = s.holdout_percent;
  if (h !== undefined && (typeof h !== 'number' || !(h >= 0 && h <= 100))) push('settings.holdout_percent', 'must be a number from 0 to 100');
}

/** Targets of a node's edges, with the path of each edge. */
function edges(node: ScenarioNode, base: string): { target: string; path: string }[] {
  const out: { target: string; path: string }[] = [];
  if (node.next !== undefined) out.push({ target: node.next, path: `${base}.next` });
  if (isPlainObject(node.branches)) for (const [label, t] of Object.entries(node.branches)) out.push({ target: t, path: `${base}.branches.${label}` });
  return out;
}

/** Strongly connected parts of the graph among nodes that do not wait (Tarjan). */
function loopsWithoutWait(nodes: ScenarioNode[], byId: Map<string, ScenarioNode>): string[][] {
  const moving = nodes.filter((n) => !WAITS.has(n.type));
  const succ = (n: ScenarioNode) =>
    edges(n, '')
      .map((e) => byId.get(e.target))
      .filter((m): m is ScenarioNode => !!m && !WAITS.has(m.type));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (n: ScenarioNode) => {
    idx.set(n.id, index);
    low.set(n.id, index++);
    stack.push(n.id);
    onStack.add(n.id);
    for (const m of succ(n)) {
      if (!idx.has(m.id)) {
        visit(m);
        low.set(n.id, Math.min(low.get(n.id)!, low.get(m.id)!));
      } else if (onStack.has(m.id)) low.set(n.id, Math.min(low.get(n.id)!, idx.get(m.id)!));
    }
    if (low.get(n.id) === idx.get(n.id)) {
      const part: string[] = [];
      let id: string;
      do {
        id = stack.pop()!;
        onStack.delete(id);
        part.push(id);
      } while (id !== n.id);
      const selfLoop = part.length === 1 && succ(n).some((m) => m.id === n.id);
      if (part.length > 1 || selfLoop) out.push(part.reverse());
    }
  };
  for (const n of moving) if (!idx.has(n.id)) visit(n);
  return out;
}

/** Every fault of the definition; `refs`, when given, are the ids that exist (templates, pools, …). */
export function validate(def: ScenarioDefinition, refs: ScenarioRefs = {}): Fault[] {
  const faults: Fault[] = [];
  if (!isPlainObject(def)) return [{ path: '', message: 'must be {settings, nodes}' }];
  validateSettings(def, faults);
  if (!Array.isArray(def.nodes)) return [...faults, { path: 'nodes', message: 'must be a list of nodes' }];
  if (!def.nodes.length) return [...faults, { path: 'nodes', message: 'must hold at least one start node' }];

  const byId = new Map<string, ScenarioNode>();
  const valid: ScenarioNode[] = [];
  def.nodes.forEach((node, i) => {
    const base = `nodes.${i}`;
    if (!isPlainObject(node)) return faults.push({ path: base, message: 'must be a node {id, type, config?, next?, branches?}' });
    const id = typeof node.id === 'string' ? node.id : undefined;
    const push: Push = (path, message) => faults.push({ ...(id ? { node_id: id } : {}), path, message });
    if (!id || !NODE_ID_RE.test(id)) return push(`${base}.id`, 'must be an id of 1 to 100 letters, digits, _ . : -');
    if (byId.has(id)) return push(`${base}.id`, `repeats the node id ${id}`);
    byId.set(id, node);
    if (!isStartType(node.type) && !isStepType(node.type)) {
      push(`${base}.type`, `is not a known node type (one of ${[...START_TYPES, ...STEP_TYPES].join(', ')})`);
      return;
    }
    valid.push(node);
    checkConfig(node, base, refs, push);
    if (node.next !== undefined && typeof node.next !== 'string') push(`${base}.next`, 'must be a node id');
    if (node.branches !== undefined && !isPlainObject(node.branches)) push(`${base}.branches`, 'must map labels to node ids');
  });

  const indexOf = new Map(def.nodes.map((n, i) => [isPlainObject(n) ? (n.id as string) : '', i]));
  const starts = valid.filter((n) => isStartType(n.type));
  if (!starts.length) faults.push({ path: 'nodes', message: 'has no start node (one of trigger.*)' });

  for (const node of valid) {
    const i = indexOf.get(node.id)!;
    const base = `nodes.${i}`;
    const push: Push = (path, message) => faults.push({ node_id: node.id, path, message });
    const branches = isPlainObject(node.branches) ? (node.branches as Record<string, unknown>) : {};
    for (const e of edges(node, base)) {
      if (typeof e.target !== 'string') push(e.path, 'must be a node id');
      else if (!byId.has(e.target)) push(e.path, `names a node that does not exist: ${e.target}`);
      else if (isStartType(byId.get(e.target)!.type)) push(e.path, `leads to the start node ${e.target}`);
    }
    const labels = Object.keys(branches);
    let allowed: string[] = OPTIONAL_BRANCHES[node.type] ?? [];
    let required: string[] = REQUIRED_BRANCHES[node.type] ?? [];
    if (node.type === 'split') {
      const vs = Array.isArray(node.config?.variants) ? (node.config!.variants as unknown[]) : [];
      required = vs.map((v) => (isPlainObject(v) && typeof v.label === 'string' ? v.label : '')).filter(Boolean);
    }
    allowed = [...allowed, ...required];
    for (const r of required) if (!(r in branches)) push(`${base}.branches.${r}`, `is required: a ${node.type} needs the branch ${r}`);
    for (const l of labels) if (!allowed.includes(l)) push(`${base}.branches.${l}`, allowed.length ? `is not a branch of ${node.type} (${allowed.join(', ')})` : `${node.type} has no branches`);
    if (BRANCHING.has(node.type)) {
      if (node.next !== undefined) push(`${base}.next`, `${node.type} continues through its branches, not next`);
    } else if (node.type === 'exit') {
      if (node.next !== undefined) push(`${base}.next`, 'exit ends the instance and has no next');
    } else if (node.next === undefined && !CAN_END.has(node.type)) push(`${base}.next`, `is required: the instance would stop at this ${node.type} (dead end)`);
  }

  // reachability from the start nodes
  const seen = new Set<string>();
  const stack = starts.map((n) => n.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = byId.get(id);
    if (n) for (const e of edges(n, '')) if (typeof e.target === 'string' && byId.has(e.target)) stack.push(e.target);
  }
  for (const n of valid) if (!seen.has(n.id)) faults.push({ node_id: n.id, path: `nodes.${indexOf.get(n.id)}`, message: `is unreachable: no start node leads to ${n.id}` });

  for (const loop of loopsWithoutWait(valid, byId))
    faults.push({ node_id: loop[0], path: `nodes.${indexOf.get(loop[0])}`, message: `is in a loop without a wait: ${[...loop, loop[0]].join(' → ')}` });

  return faults;
}

/** True when the definition has no faults. */
export function isValid(def: ScenarioDefinition, refs?: ScenarioRefs): boolean {
  return validate(def, refs).length === 0;
}

