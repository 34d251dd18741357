#!/usr/bin/env node
// The kit's command line. TypeScript sources run through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

// node:sqlite (used by the S3 stand-in) announces itself as experimental on every start; keep other warnings.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'ExperimentalWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
