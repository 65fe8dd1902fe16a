/**
 * The Resources section's module: refreshes the resource tiles (server-rendered,
 * /ui/fragments/resources) every few seconds while the page is live, keeps their "as of" ages,
 * and draws each lag_* gauge's sparkline from the last samples it has seen (kept here, in the
 * browser: the daemon keeps no history). Nothing received is inserted as markup except the
 * server's escaped fragment; the chart is built with DOM calls (the CSP allows no inline script).
 */
import { Freshness } from './freshness.js';

const REFRESH_MS = 2000;
/** Samples kept per series: 90 × 2 s = the last 3 minutes. */
const SAMPLES = 90;
const MIN_SLOTS = 20;
const WIDTH = 120;
const HEIGHT = 24;

const tiles = document.getElementById('resource-tiles') as HTMLElement | null;
const freshness = new Freshness();
const history = new Map<string, number[]>();

function record(series: string, value: number): number[] {
  const samples = history.get(series) ?? [];
  samples.push(value);
  if (samples.length > SAMPLES) samples.splice(0, samples.length - SAMPLES);
  history.set(series, samples);
  return samples;
}

/** The polyline's points: newest at the right edge, older to the left, 0 at the bottom. */
function sparkPoints(samples: readonly number[], width = WIDTH, height = HEIGHT): string {
  const max = Math.max(...samples, 0);
  const scale = max > 0 ? (height - 2) / max : 0;
  // Spaced for at least MIN_SLOTS samples so a young chart is readable, then for all SAMPLES.
  const step = width / (Math.min(SAMPLES, Math.max(MIN_SLOTS, samples.length)) - 1);
  const start = width - (samples.length - 1) * step;
  return samples.map((v, i) => `${(start + i * step).toFixed(1)},${(height - 1 - Math.max(0, v) * scale).toFixed(1)}`).join(' ');
}

function draw(chart: SVGSVGElement, samples: readonly number[]): void {
  const line = chart.querySelector('polyline');
  if (!line) return;
  // A single sample is drawn as a short flat line so the chart is never empty.
  line.setAttribute('points', sparkPoints(samples.length === 1 ? [samples[0] ?? 0, samples[0] ?? 0] : samples));
  chart.dataset.samples = String(samples.length);
  chart.dataset.max = String(Math.max(...samples));
}

/** Takes one sample from every chart the server rendered, and draws it with its history. */
function sample(): void {
  if (!tiles) return;
  for (const chart of tiles.querySelectorAll<SVGSVGElement>('svg.spark[data-series]')) {
    const value = Number(chart.dataset.value);
    if (!Number.isFinite(value)) continue;
    draw(chart, record(chart.dataset.series ?? '', value));
  }
}

async function refresh(): Promise<void> {
  if (!tiles || document.body.classList.contains('disconnected')) return;
  try {
    const res = await fetch('/ui/fragments/resources', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    tiles.innerHTML = await res.text();
    for (const tile of tiles.querySelectorAll('.resource-tile')) freshness.mark(tile);
    sample();
  } catch {
    // The page's stream state says the rest; the ages keep counting.
  }
}

if (tiles) {
  for (const tile of tiles.querySelectorAll('.resource-tile')) freshness.mark(tile);
  sample();
  setInterval(() => freshness.tick(), 1000);
  setInterval(() => void refresh(), REFRESH_MS);
}
