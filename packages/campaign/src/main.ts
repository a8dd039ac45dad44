#!/usr/bin/env node
/** Starts a campaign node: `node main.js --config cluster.json --node node-1 --data DIR`. */
import { runNodeMain } from '@isx/shard';
import { campaign } from './campaign.js';

await runNodeMain([campaign], process.argv.slice(2));
