/**
 * A lean HTTP client for the benches' load generators: node:http over kept-alive connections, so the
 * generator (on the same machine as the server) spends little CPU of its own per request.
 */
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
}

export function httpClient(connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(body);
        const req = request(url, { method, agent, headers: payload ? { ...headers, 'content-length': payload.length } : headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
