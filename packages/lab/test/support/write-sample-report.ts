/**
 * Writes the sample report's HTML page to the path given as the first argument, so that a
 * person can look at the page (or screenshot it) without running an experiment:
 *
 *     npx tsx test/support/write-sample-report.ts /tmp/sample-report.html
 *
 * It writes that one file and nothing else; it must never touch the repository's files.
 */
import { writeFileSync } from 'node:fs';
import { renderReportHtml } from '../../src/report/report-html.js';
import { sampleReport } from './sample-report.js';

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: write-sample-report.ts OUTPUT.html');
  process.exit(2);
}
writeFileSync(path, renderReportHtml(sampleReport()));
console.log(`wrote ${path}`);
