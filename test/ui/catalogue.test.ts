import { describe, expect, it } from 'vitest';
import { NODE_TYPES } from '../../src/engine/scenarios/node-types.js';
import { mergeServerTypes } from '../../web/src/pages/scenarios/catalogue.js';

describe('scenario editor node types from GET /scenario-node-types', () => {
  const types = new Map(mergeServerTypes({ items: NODE_TYPES }).map((t) => [t.type, t]));

  it('knows every type the server has, in the palette group it belongs to', () => {
    for (const t of NODE_TYPES) expect(types.has(t.type)).toBe(true);
    for (const t of NODE_TYPES.filter((x) => x.start)) expect(types.get(t.type)!.group).toBe('Triggers');
  });

  it('draws each type with the outputs the server validates', () => {
    const shape = (type: string) => {
      const t = types.get(type)!;
      return { branches: t.branches, optional: t.optionalBranches, terminal: Boolean(t.terminal) };
    };
    expect(shape('trigger.event')).toEqual({ branches: undefined, optional: undefined, terminal: false });
    expect(shape('send')).toEqual({ branches: undefined, optional: undefined, terminal: false });
    expect(shape('wait_event')).toEqual({ branches: ['received', 'timeout'], optional: undefined, terminal: false });
    expect(shape('condition')).toEqual({ branches: ['yes', 'no'], optional: undefined, terminal: false });
    expect(shape('split')).toEqual({ branches: 'variants', optional: undefined, terminal: false });
    expect(shape('promo_code')).toEqual({ branches: undefined, optional: ['failed'], terminal: false });
    expect(shape('webhook')).toEqual({ branches: undefined, optional: ['failed'], terminal: false });
    expect(shape('exit')).toEqual({ branches: undefined, optional: undefined, terminal: true });
  });

  it('keeps the editor’s own forms (pickers) for the types it knows', () => {
    expect(types.get('send')!.schema.properties?.template_id?.format).toBe('template');
    expect(types.get('wait_event')!.schema.properties?.match?.format).toBe('json');
  });
});
