/**
 * The last minute of keyed requests through the router: requests per second as bars (errors
 * in red on top), and p50 and p99 latency as lines against their own scale.
 */
import type { RequestSecond } from '@isx/core';
import { byId, count, element, svgElement } from './dom.js';

const WIDTH = 600;
const HEIGHT = 140;

export function renderRequests(seconds: readonly RequestSecond[]): void {
  // The current second is still filling up; the summary reads the five before it.
  const recent = seconds.slice(-6, -1);
  const rate = recent.reduce((sum, s) => sum + s.requests, 0) / Math.max(1, recent.length);
  const errors = recent.reduce((sum, s) => sum + s.errors, 0);
  const p50 = maxOf(recent.map((s) => s.p50Ms));
  const p99 = maxOf(recent.map((s) => s.p99Ms));
  byId('request-summary').replaceChildren(
    element('span', { 'data-rate': rate.toFixed(1) }, `${count(Math.round(rate))} requests/s`),
    ` over the last 5 s · p50 ${p50 === null ? '–' : `${p50} ms`} · p99 ${p99 === null ? '–' : `${p99} ms`} · ${count(errors)} errors`,
  );

  const chart = byId<SVGSVGElement>('request-chart');
  const peakRate = Math.max(1, ...seconds.map((s) => s.requests));
  const peakLatency = Math.max(1, ...seconds.map((s) => s.p99Ms ?? 0));
  const step = WIDTH / Math.max(1, seconds.length);
  const shapes: SVGElement[] = [];
  seconds.forEach((second, index) => {
    const height = (second.requests / peakRate) * (HEIGHT - 10);
    const errorHeight = (second.errors / peakRate) * (HEIGHT - 10);
    shapes.push(
      svgElement('rect', { class: 'rate', x: index * step + 1, y: HEIGHT - height, width: step - 2, height }),
    );
    if (second.errors > 0) {
      shapes.push(
        svgElement('rect', {
          class: 'errors',
          x: index * step + 1,
          y: HEIGHT - height,
          width: step - 2,
          height: errorHeight,
        }),
      );
    }
  });
  for (const [name, pick] of [
    ['p50', (s: RequestSecond) => s.p50Ms],
    ['p99', (s: RequestSecond) => s.p99Ms],
  ] as const) {
    const points = seconds
      .map((s, index) => {
        const value = pick(s);
        return value === null
          ? null
          : `${(index + 0.5) * step},${HEIGHT - (value / peakLatency) * (HEIGHT - 10)}`;
      })
      .filter((p): p is string => p !== null);
    shapes.push(svgElement('polyline', { class: name, points: points.join(' ') }));
  }
  shapes.push(svgElement('text', { x: 4, y: 12, class: 'axis' }, `${count(peakRate)}/s`));
  shapes.push(svgElement('text', { x: WIDTH - 4, y: 12, class: 'axis right' }, `${peakLatency} ms`));
  chart.replaceChildren(...shapes);
}

function maxOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
}
