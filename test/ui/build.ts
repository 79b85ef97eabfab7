import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/**
 * Builds the production bundle (what `npm run build` puts in web/dist) into `outDir`, in a couple of
 * seconds; a folder of the test's own, so suites running meanwhile never see web/dist half-written.
 */
export function buildUi(outDir: string): number {
  const started = Date.now();
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', join(root, 'web', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return Date.now() - started;
}
