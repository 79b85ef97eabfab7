import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { START_TYPES, STEP_TYPES, validate, type ScenarioDefinition } from '../../../src/domain/scenarios/index.js';

const nodeArb = fc.record(
  {
    id: fc.oneof(fc.constantFrom('a', 'b', 'c', 'start'), fc.anything()),
    type: fc.oneof(fc.constantFrom(...START_TYPES, ...STEP_TYPES), fc.anything()),
    config: fc.oneof(fc.dictionary(fc.constantFrom('event', 'duration', 'until_time', 'timeout', 'conditions', 'variants', 'match', 'where', 'cron', 'set', 'url', 'points', 'field'), fc.anything()), fc.anything()),
    next: fc.oneof(fc.constantFrom('a', 'b', 'c', 'start'), fc.anything()),
    branches: fc.oneof(fc.dictionary(fc.constantFrom('yes', 'no', 'received', 'timeout', 'failed'), fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.anything())), fc.anything()),
  },
  { requiredKeys: [] },
);

describe('validation of arbitrary input', () => {
  it('never throws and always names a path for each fault', () => {
    fc.assert(
      fc.property(fc.oneof(fc.record({ settings: fc.anything(), nodes: fc.array(nodeArb, { maxLength: 6 }) }), fc.anything()), (input) => {
        const faults = validate(input as ScenarioDefinition);
        for (const f of faults) {
          expect(typeof f.path).toBe('string');
          expect(typeof f.message).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });
});
