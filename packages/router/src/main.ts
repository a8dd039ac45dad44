#!/usr/bin/env node
/** Starts a router: `node main.js --config cluster.json --port 4000`. */
import { runRouterMain } from './router-main.js';

await runRouterMain(process.argv.slice(2));
