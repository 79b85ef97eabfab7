import { fork } from 'node:child_process';

export interface LoadOptions {
  url: string;
  method: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** Request bodies sent in turn. */
  bodies?: string[];
}
export interface LoadResult {
  requests: number;
  total: number;
  non2xx: number;
  errors: number;
  latencyP50: number;
  latencyP99: number;
}

export function load(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.js', import.meta.url), { stdio: 'inherit' });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`load generator exited with ${code}`)));
    child.send(o);
  });
}
