import { resolve } from 'node:path';

export type Role = 'all' | 'api' | 'worker';

export interface Config {
  role: Role;
  host: string;
  port: number;
  logLevel: string;
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
  bootstrapToken?: string;
  /** Longest a request body may be, except streamed imports. */
  bodyLimit: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads the configuration from the environment; every variable is documented in the README. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const role = (env.RETENTA_ROLE ?? 'all') as Role;
  if (!['all', 'api', 'worker'].includes(role)) problems.push(`RETENTA_ROLE must be all, api or worker, got "${role}"`);
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must start with postgres://');
  const config: Config = {
    role,
    host: env.HOST ?? '127.0.0.1',
    port: int('PORT', 8080, 0, 65535),
    logLevel,
    databaseUrl,
    dataDir: resolve(env.RETENTA_DATA_DIR ?? 'data'),
    poolSize: int('DATABASE_POOL_SIZE', 10, 1, 1000),
    bootstrapToken: env.RETENTA_BOOTSTRAP_TOKEN || undefined,
    bodyLimit: 1024 * 1024,
    ...overrides,
  };
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return config;
}
