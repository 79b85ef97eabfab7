import { Worker } from 'node:worker_threads';

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
    const w = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: o });
    w.once('message', (m: LoadResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}
