#!/usr/bin/env node
/** Starts an advertiser-budget node: `node main.js --router URL --data DIR` (or `--config FILE --node ID`). */
import { runNodeMain } from '@isx/shard';
import { advertiserBudgetService } from './service.js';

await runNodeMain(advertiserBudgetService, process.argv.slice(2));
