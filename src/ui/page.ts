/** The Streaming Statistics page, as Spark's Streaming tab; `static/app.js` fills it in. */
export function streamingPage(appName: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Streaming Statistics</title>
<link rel="stylesheet" href="static/uPlot.min.css">
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #333; }
  h1 { font-size: 1.6em; margin: 0 0 .2em; } h1 small { color: #888; font-weight: normal; font-size: .6em; }
  h3 { margin: 1.4em 0 .4em; }
  table { border-collapse: collapse; } td, th { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
  th { background: #f5f5f5; } td.name { width: 170px; } .reason { font-family: monospace; font-size: .85em; max-width: 520px; overflow: hidden; }
  .facts span { margin-right: 2.2em; } .facts b { font-size: 1.15em; } #error { color: #b00; }
</style>
</head>
<body>
<h1>Streaming Statistics <small>${esc(appName)} · chispa</small></h1>
<p id="summary">Loading…</p>
<p class="facts"><span>Batch interval: <b id="batch-interval">-</b></span><span>Uptime: <b id="uptime">-</b></span>
<span>Completed batches: <b id="completed-batches">-</b></span><span>Total records: <b id="total-records">-</b></span></p>
<p id="error"></p>
<table><thead><tr><th></th><th>Timelines (retained batches)</th><th>Histograms</th></tr></thead><tbody id="charts"></tbody></table>
<h3>Receivers</h3>
<table><thead><tr><th>Receiver</th><th>Status</th><th>Location</th><th>Avg records/sec</th><th>Last Error Time</th><th>Last Error Message</th></tr></thead><tbody id="receivers"></tbody></table>
<h3>Stateful operators</h3>
<table><thead><tr><th>Operator</th><th>Kind</th><th>Keys total</th><th>Keys updated (last batch)</th></tr></thead><tbody id="state"></tbody></table>
<h3>Active Batches (<span id="active-count">0</span>)</h3>
<table><thead><tr><th>Batch Time</th><th>Records</th><th>Scheduling Delay</th><th>Processing Time</th><th>Total Delay</th><th>Output Ops: Succeeded/Total</th></tr></thead><tbody id="active-batches"></tbody></table>
<h3>Completed Batches (<span id="completed-count">0</span>)</h3>
<table><thead><tr><th>Batch Time</th><th>Records</th><th>Scheduling Delay</th><th>Processing Time</th><th>Total Delay</th><th>Output Ops: Succeeded/Total</th><th>Failure Reason</th></tr></thead><tbody id="completed-batches-table"></tbody></table>
<script src="static/uPlot.iife.min.js"></script>
<script src="static/app.js"></script>
</body>
</html>
`;
}
