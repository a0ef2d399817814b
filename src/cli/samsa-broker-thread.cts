/**
 * The broker thread of the bundled `samsa broker` (samsa.cts): broker-thread.ts and everything it
 * imports, bundled into one file by the build (scripts/bundle.ts) and run from V8's code cache
 * (bundle-loader.cts), so the thread does not import ~470 modules of its own.
 */
import { join } from 'node:path';
import { runBundle } from './bundle-loader.cjs';

runBundle(join(__dirname, 'samsa-broker-thread-bundle.cjs'));
