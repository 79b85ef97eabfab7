// Lets worker threads started by a test load the TypeScript sources: `--import <this file>`.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
