#!/usr/bin/env node
/**
 * The `samsa` command line (run-samsa.ts) as a program: `node dist/src/cli/main.js` runs it from
 * tsc's modules, and the build bundles it (scripts/bundle.ts) into the file `bin` runs.
 */
import { runSamsaMain } from './run-samsa.js';

// No top-level await: this entry is also bundled as CommonJS (scripts/bundle.ts), which has none.
runSamsaMain();
