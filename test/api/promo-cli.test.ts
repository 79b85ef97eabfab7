import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { promoCommand, progressBar } from '../../src/cli/promo.js';
import { openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { countCodes, createPool } from '../../src/store/promo.js';

let dir: string;
let poolId: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'retenta-cli-'));
  const database = await openDatabase({ dataDir: dir });
  await migrate(database.db, new Date());
  const pool = await createPool(
    database.db,
    {
      name: 'CLI', template_name: 'cli_pool', generator: { template: 'CLI-{symbol 6}' }, valid_from: null, valid_to: null, code_ttl: null,
      max_codes: 5000, multi_profile: false, auto_link: false, scenario_can_create: false, campaign_can_create: false, custom_fields: [],
    },
    new Date(),
  );
  poolId = pool!.id;
  await database.close();
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

it('retenta promo generate POOL COUNT generates with a progress bar and refuses past max_codes', async () => {
  vi.stubEnv('RETENTA_DATA_DIR', dir);
  vi.stubEnv('DATABASE_URL', '');
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    expect(await promoCommand(['generate', 'cli_pool', '3000'])).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ generated: 3000, total: 3000 });
    expect(err.join('')).toMatch(/\[#{30}\] 100% {2}3,000\/3,000/);
    expect(await promoCommand(['generate', poolId, '2001'])).toBe(1);
    expect(err.join('')).toContain('Refused (pool-exhausted)');
    expect(await promoCommand(['generate', 'no_such_pool', '1'])).toBe(1);
    expect(await promoCommand(['generate', 'cli_pool', 'many'])).toBe(2);
  } finally {
    o.mockRestore();
    e.mockRestore();
    vi.unstubAllEnvs();
  }
  const database = await openDatabase({ dataDir: dir });
  expect(await countCodes(database.db, poolId)).toBe(3000);
  await database.close();
});

it('draws the progress bar', () => {
  const lines: string[] = [];
  const bar = progressBar(200, { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream);
  bar(50);
  bar(200);
  expect(lines[0]).toMatch(/^\[#{8}-{22}\] {2}25% {2}50\/200 /);
  expect(lines[1]).toMatch(/^\[#{30}\] 100% {2}200\/200 /);
});
