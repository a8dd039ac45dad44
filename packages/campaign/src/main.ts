#!/usr/bin/env node
/** Starts a campaign node: `node main.js --router URL --data DIR` (or `--config FILE --node ID`). */
import { runNodeMain } from '@isx/shard';
import { campaign } from './campaign.js';

await runNodeMain({ name: 'campaign', entities: [campaign] }, process.argv.slice(2));
