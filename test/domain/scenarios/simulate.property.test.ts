import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate, validate, type ScenarioDefinition, type ScenarioNode, type SimulationWorld } from '../../../src/domain/scenarios/index.js';
import { T0 } from './fixtures.js';

const KINDS = ['send', 'wait', 'wait_event', 'condition', 'split', 'promo_code', 'loyalty_points', 'update_profile', 'webhook', 'goal'] as const;
const EVENTS = ['a', 'b', 'c'];

interface Spec {
  kind: (typeof KINDS)[number];
  /** a forward jump (0..) for a second edge, and a backward jump for wait_event loops */
  jump: number;
  back: number;
  loopOnReceived: boolean;
  failedBranch: boolean;
  event: number;
}

const specArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  jump: fc.nat(6),
  back: fc.nat(6),
  loopOnReceived: fc.boolean(),
  failedBranch: fc.boolean(),
  event: fc.nat(EVENTS.length - 1),
});

/** A valid graph: forward edges, plus backward edges only out of wait_event nodes (every loop waits). */
function build(specs: Spec[]): ScenarioDefinition {
  const n = specs.length;
  const id = (i: number) => (i >= n ? 'end' : `n${i}`);
  const fwd = (i: number, jump: number) => id(Math.min(n, i + 1 + jump));
  const nodes: ScenarioNode[] = [{ id: 'start', type: 'trigger.api', next: id(0) }];
  specs.forEach((s, i) => {
    const next = id(i + 1);
    const node: ScenarioNode = { id: id(i), type: s.kind };
    switch (s.kind) {
      case 'send':
        Object.assign(node, { config: { channel: 'email', template_id: 't' }, next });
        break;
      case 'wait':
        Object.assign(node, { config: { duration: s.jump % 2 ? 'PT6H' : 'P1D' }, next });
        break;
      case 'wait_event': {
        const back = id(Math.max(0, i - s.back));
        const branches = s.loopOnReceived ? { received: back, timeout: next } : { received: next, timeout: back };
        Object.assign(node, { config: { event: EVENTS[s.event], timeout: s.jump % 2 ? 'PT6H' : 'P1D' }, branches });
        break;
      }
      case 'condition':
        Object.assign(node, { config: { conditions: { field: 'data.x', op: 'exists', value: true } }, branches: { yes: next, no: fwd(i, s.jump) } });
        break;
      case 'split':
        Object.assign(node, { config: { variants: [{ label: 'a', weight: 1 + s.back }, { label: 'b', weight: 1 }] }, branches: { a: next, b: fwd(i, s.jump) } });
        break;
      case 'promo_code':
      case 'loyalty_points':
      case 'webhook': {
        const config = s.kind === 'promo_code' ? { pool_id: 'p' } : s.kind === 'loyalty_points' ? { program_id: 'l', action: 'accrue', points: 5 } : { url: 'https://h.example/', method: 'POST' };
        Object.assign(node, { config, next, ...(s.failedBranch ? { branches: { failed: fwd(i, s.jump) } } : {}) });
        break;
      }
      case 'update_profile':
        Object.assign(node, { config: { set: { k: i } }, next });
        break;
      case 'goal':
        Object.assign(node, { config: { name: `g${i}` }, next });
        break;
    }
    nodes.push(node);
  });
  nodes.push({ id: 'end', type: 'exit' });
  return { settings: { reentry: 'new_instance', exit_on: [{ event: 'stop' }], goal: { event: 'a', within: 'P7D' } }, nodes };
}

/** A world whose answers come from a fixed list, so the same list gives the same answers. */
function world(answers: boolean[]): SimulationWorld {
  let k = 0;
  const nextAnswer = () => answers[k++ % answers.length];
  return {
    evaluate: () => nextAnswer(),
    issueCode: (pool) => (nextAnswer() ? { type: 'issue_code', code: `C-${pool}`, expires_at: null } : { type: 'failed', reason: 'exhausted' }),
    loyalty: (r) => (nextAnswer() ? { type: 'loyalty', transaction_id: 'tx', points: r.points ?? 0 } : { type: 'failed', reason: 'closed' }),
    webhook: () => (nextAnswer() ? { type: 'webhook', status: 200, body: {} } : { type: 'failed', reason: 'timeout' }),
  };
}

const eventsArb = fc.array(
  fc.record({ minutes: fc.nat(30 * 24 * 60), name: fc.constantFrom(...EVENTS, 'stop', 'other') }),
  { maxLength: 30 },
);

describe('simulate on generated valid graphs', () => {
  it('always terminates, and the same input gives the same trace', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 12 }), eventsArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), (specs, evs, answers, withData) => {
        const def = build(specs);
        expect(validate(def)).toEqual([]);
        const input = {
          profile: { id: 'p', fields: {} },
          data: withData ? { x: 1 } : {},
          events: evs.map((e) => ({ at: new Date(T0.getTime() + e.minutes * 60_000), name: e.name, properties: {} })),
        };
        const r1 = simulate(def, input, world(answers), T0);
        const r2 = simulate(def, input, world(answers), T0);
        expect(r2).toEqual(r1);
        expect(r1.trace.some((t) => t.outcome.startsWith('failed: more than'))).toBe(false);
        expect(['completed', 'exited', 'failed', 'waiting']).toContain(r1.status);
        const end = T0.getTime() + 30 * 86_400_000;
        for (const t of r1.trace) expect(t.at.getTime()).toBeLessThanOrEqual(end);
        for (let i = 1; i < r1.trace.length; i++) expect(r1.trace[i].at.getTime()).toBeGreaterThanOrEqual(r1.trace[i - 1].at.getTime());
      }),
      { numRuns: 150 },
    );
  });

  it('a graph with a loop without a wait is rejected by validation', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('send', 'update_profile', 'goal'), { minLength: 1, maxLength: 6 }), (kinds) => {
        const nodes: ScenarioNode[] = [{ id: 'start', type: 'trigger.api', next: 'n0' }];
        kinds.forEach((k, i) =>
          nodes.push({ id: `n${i}`, type: k, config: k === 'send' ? { channel: 'email', template_id: 't' } : k === 'goal' ? { name: 'g' } : { set: { a: 1 } }, next: `n${(i + 1) % kinds.length}` }),
        );
        const faults = validate({ settings: { reentry: 'once' }, nodes });
        expect(faults.some((f) => f.message.startsWith('is in a loop without a wait'))).toBe(true);
      }),
    );
  });
});
