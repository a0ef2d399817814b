#!/usr/bin/env node
/**
 * `samsa` as installed (package.json `bin`): the CLI of main.ts, bundled into one file by the build
 * (scripts/bundle.ts) and run from V8's code cache (bundle-loader.cts). `node dist/src/cli/main.js`
 * is the same program run from tsc's modules.
 */
import { join } from 'node:path';
import { runBundle } from './bundle-loader.cjs';

runBundle(join(__dirname, 'samsa-bundle.cjs'));
