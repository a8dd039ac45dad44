/**
 * Pairs the nemesis events of a history into fault windows: each `start` with the next
 * `end` of the same fault and target, keeping both details. A fault still open when the
 * history ends is closed at the last event, so a report never shows a window running off
 * the chart, and marked `unfinished`, so a checker can tell a step that never ended.
 */
import type { NemesisEvent } from '@isx/core';
import type { FaultWindow } from '../checkers/checker.js';

export function faultWindows(events: readonly NemesisEvent[], endNs: number): FaultWindow[] {
  const open: NemesisEvent[] = [];
  const windows: FaultWindow[] = [];
  for (const event of events) {
    if (event.phase === 'start') {
      open.push(event);
      continue;
    }
    const at = open.findIndex((start) => start.fault === event.fault && start.target === event.target);
    if (at < 0) continue;
    const [start] = open.splice(at, 1);
    windows.push(window(start!, event.timeNs, false, event.detail));
  }
  for (const start of open) windows.push(window(start, Math.max(endNs, start.timeNs), true));
  return windows.sort((a, b) => a.startNs - b.startNs);
}

/** The window's detail tells how it began and, when the end says more, how it ended. */
function window(start: NemesisEvent, endNs: number, unfinished = false, endDetail?: string): FaultWindow {
  return {
    fault: start.fault,
    target: start.target,
    detail: endDetail === undefined ? start.detail : `${start.detail ?? ''} → ${endDetail}`,
    startNs: start.timeNs,
    endNs,
    ...(unfinished ? { unfinished } : {}),
  };
}
