// The Streaming Statistics page: polls the JSON API every second and redraws. Charts are uPlot
// (served by this UI from the package, no CDN). Plain browser JavaScript, no build step.
/* global uPlot */
'use strict';

const METRICS = [
  { key: 'inputRate', title: 'Input Rate', unit: 'records/sec', avg: 'avgInputRate' },
  { key: 'schedulingDelay', title: 'Scheduling Delay', unit: 'ms', avg: 'avgSchedulingDelay' },
  { key: 'processingTime', title: 'Processing Time', unit: 'ms', avg: 'avgProcessingTime', interval: true },
  { key: 'totalDelay', title: 'Total Delay', unit: 'ms', avg: 'avgTotalDelay' },
];
const charts = {};
window.chispaCharts = charts;

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (v) => (v === undefined || v === null ? '-' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
const when = (d) => (d ? d.replace('T', ' ').replace(/\.\d+GMT$/, '') : '-');
const duration = (ms) => {
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'hour'], [Math.floor((s % 3600) / 60), 'minute'], [s % 60, 'second']];
  return parts.filter(([n], i) => n > 0 || i === 2).map(([n, u]) => `${n} ${u}${n === 1 ? '' : 's'}`).join(' ');
};

/** Equal-width bins over [0, max]: x = bin centres, y = how many batches fall in each. */
function histogram(values, bins = 10) {
  const max = Math.max(1, ...values);
  const width = max / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))]++;
  return [counts.map((_, i) => (i + 0.5) * width), counts];
}

function makeCharts() {
  const rows = $('charts');
  for (const m of METRICS) {
    const tr = document.createElement('tr');
    tr.innerHTML = `<td class="name"><strong>${m.title}</strong><div id="avg-${m.key}">-</div></td>` +
      `<td><div class="chart" id="timeline-${m.key}" data-chart="timeline" data-metric="${m.key}"></div></td>` +
      `<td><div class="chart" id="histogram-${m.key}" data-chart="histogram" data-metric="${m.key}"></div></td>`;
    rows.appendChild(tr);
    const series = [{}, { label: m.title, stroke: '#2e6da4', width: 2, points: { show: true, size: 4 } }];
    if (m.interval) series.push({ label: 'batch interval', stroke: '#d9534f', dash: [6, 4], width: 1, points: { show: false } });
    const timeline = new uPlot(
      { width: 560, height: 180, series, axes: [{}, { label: m.unit, size: 60 }], scales: { x: { time: true } } },
      [[], [], ...(m.interval ? [[]] : [])],
      $(`timeline-${m.key}`),
    );
    const hist = new uPlot(
      {
        width: 320,
        height: 180,
        // Half a bin of room either side, so the outer bars are not cut.
        scales: { x: { time: false, range: (u, min, max) => {
          const pad = (max - min) / 18 || 0.5;
          return [min - pad, max + pad];
        } } },
        axes: [{ label: m.unit }, { label: 'batches', size: 50 }],
        series: [{}, { label: 'batches', fill: 'rgba(46,109,164,0.5)', stroke: '#2e6da4', paths: uPlot.paths.bars({ size: [0.9] }), points: { show: false } }],
      },
      [[], []],
      $(`histogram-${m.key}`),
    );
    charts[m.key] = { timeline, histogram: hist };
  }
}

function batchRows(batches, withReason) {
  return batches.map((b) => `<tr><td>${esc(when(b.batchTime))}</td><td>${b.inputSize} records</td>` +
    `<td>${ms(b.schedulingDelay)}</td><td>${ms(b.processingTime)}</td><td>${ms(b.totalDelay)}</td>` +
    `<td>${b.numCompletedOutputOps}/${b.numTotalOutputOps}${b.numFailedOutputOps ? ` (${b.numFailedOutputOps} failed)` : ''}</td>` +
    (withReason ? `<td class="reason">${esc((b.firstFailureReason ?? '').split('\n')[0])}</td>` : '') + '</tr>').join('');
}

// A request the server never answers must not stop the page refreshing: each refresh gives up on
// its requests after this long, shows why, and the next one starts as usual.
const REQUEST_TIMEOUT_MS = 10_000;

async function json(path) {
  const r = await fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

async function refresh() {
  const [stats, receivers, batches, timeline] = await Promise.all([
    json('api/v1/streaming/statistics'),
    json('api/v1/streaming/receivers'),
    json('api/v1/streaming/batches'),
    json('api/chispa/timeline'),
  ]);
  const start = stats.startTime ? Date.parse(stats.startTime.replace('GMT', 'Z')) : Date.now();
  $('summary').textContent = `Running batches of ${ms(stats.batchDuration)} for ${duration(Date.now() - start)} since ` +
    `${when(stats.startTime)} (${stats.numTotalCompletedBatches} completed batches, ${stats.numProcessedRecords} records)`;
  $('batch-interval').textContent = ms(stats.batchDuration);
  $('completed-batches').textContent = stats.numTotalCompletedBatches;
  $('total-records').textContent = stats.numProcessedRecords;
  $('uptime').textContent = duration(Date.now() - start);

  const x = timeline.batches.map((b) => b.batchTime / 1000);
  for (const m of METRICS) {
    const ys = timeline.batches.map((b) => b[m.key] ?? null);
    const data = [x, ys];
    if (m.interval) data.push(x.map(() => stats.batchDuration));
    charts[m.key].timeline.setData(data);
    charts[m.key].histogram.setData(histogram(ys.filter((v) => v !== null)));
    const avg = stats[m.avg];
    $(`avg-${m.key}`).textContent = avg === undefined ? '-' : m.key === 'inputRate' ? `avg ${avg.toFixed(2)} records/sec` : `avg ${ms(avg)}`;
  }

  $('receivers').innerHTML = receivers.map((r) => `<tr><td>${esc(r.streamName)}</td>` +
    `<td>${r.isActive === undefined ? '-' : r.isActive ? 'ACTIVE' : 'INACTIVE'}</td><td>${esc(r.executorHost ?? '-')}</td>` +
    `<td>${r.avgEventRate === undefined ? '-' : r.avgEventRate.toFixed(2)}</td>` +
    `<td>${esc(when(r.lastErrorTime))}</td><td class="reason">${esc(r.lastErrorMessage ?? '-')}${r.lastError ? `: ${esc(r.lastError)}` : ''}</td></tr>`).join('') ||
    '<tr><td colspan="6">No receivers</td></tr>';
  $('state').innerHTML = timeline.stateOperators.map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(s.operator)}</td>` +
    `<td>${s.numRowsTotal}</td><td>${s.numRowsUpdated}</td></tr>`).join('') || '<tr><td colspan="4">No stateful operators</td></tr>';
  const active = batches.filter((b) => b.status !== 'COMPLETED');
  const done = batches.filter((b) => b.status === 'COMPLETED');
  $('active-count').textContent = active.length;
  $('completed-count').textContent = `${done.length} of ${stats.numTotalCompletedBatches}`;
  $('active-batches').innerHTML = batchRows(active, false);
  $('completed-batches-table').innerHTML = batchRows(done.slice(0, 100), true);
  $('error').textContent = '';
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
}

makeCharts();
const tick = () => refresh().catch((e) => ($('error').textContent = String(e))).finally(() => setTimeout(tick, 1000));
tick();
