/** The report's only stylesheet, inlined so the file opens anywhere without fetching a thing. */
export const REPORT_CSS = `
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--soft:#f8fafc;--bg:#f1f5f9;--card:#fff;--accent:#2563eb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 40px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12.5px}
header.top{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:12px;margin-bottom:18px}
.kicker{font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
h1{margin:2px 0 0;font-size:26px;line-height:1.25;font-weight:650;display:flex;align-items:center;gap:12px;flex-wrap:wrap;word-break:break-all}
h2{margin:0;font-size:16px;font-weight:650}
.meta{color:var(--muted);font-size:12.5px;text-align:right}
.reason{margin:6px 0 0;color:#334155}
.partial{margin:12px 0;padding:10px 14px;border-radius:8px;background:#fef3c7;color:#92400e}
.anomalies{margin:12px 0;padding:10px 14px;border-radius:8px;background:var(--card);border:1px solid var(--line)}
.state{font-size:12px;font-weight:650;letter-spacing:.04em;text-transform:uppercase;padding:3px 10px;border-radius:999px;background:#e2e8f0;color:#334155;word-break:normal}
.state.good{background:#dcfce7;color:#166534}.state.live{background:#dbeafe;color:#1e40af}
.state.warn{background:#fef3c7;color:#92400e}.state.bad{background:#fee2e2;color:#991b1b}
.figures{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin-bottom:16px}
.figure{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.figure .label{font-size:12px;color:var(--muted);font-weight:550}
.figure .value{font-size:22px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.figure .sub{font-size:12px;color:var(--muted);margin-top:1px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin-bottom:16px}
.card-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:6px 16px;margin-bottom:12px}
.hint{margin:2px 0 0;color:var(--muted);font-size:12.5px}
.note{margin:10px 0 0;color:#92400e;background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:8px 12px;font-size:12.5px}
.split{display:flex;height:14px;border-radius:7px;overflow:hidden;background:var(--line)}
.split span{display:block;height:100%}
.outcomes{display:grid;grid-template-columns:repeat(7,1fr);gap:8px;margin-top:14px}
.outcome{border:1px solid var(--line);border-radius:8px;padding:8px 10px;background:var(--soft)}
.outcome.zero{opacity:.5}
.outcome .name{font-size:12px;color:#334155;display:flex;align-items:center;gap:6px;white-space:nowrap}
.outcome .count{font-size:18px;font-weight:650;font-variant-numeric:tabular-nums}
.outcome .pct{font-size:12px;color:var(--muted)}
.dot{display:inline-block;width:10px;height:10px;border-radius:3px;flex:none}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px;color:#334155}
.legend span{display:inline-flex;align-items:center;gap:6px}
.legend .dash{width:18px;height:0;border-top:2px dashed #dc2626}
.legend .bar{width:10px;height:10px;border-radius:3px;background:#3b82f6}
svg.chart{display:block;width:100%;height:auto}
svg.chart .grid{stroke:#eef2f7;stroke-width:1}svg.chart .grid.base{stroke:#cbd5e1}
svg.chart .tick-mark{stroke:#cbd5e1}
svg.chart text{font:11px system-ui,"Liberation Sans","DejaVu Sans",sans-serif;fill:#64748b}
svg.chart g.bin:hover rect,svg.chart rect.throughput:hover{opacity:.75}
svg.chart rect.throughput{fill:#3b82f6}
svg.chart .ceiling line{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:6 4}
svg.chart .ceiling text{fill:#b91c1c;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.stats{display:flex;flex-wrap:wrap;gap:4px 22px;margin-top:10px;font-size:12.5px;color:#334155}
.stats b{font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;font-size:13px}
th{background:#f8fafc;text-align:left;font-weight:600;color:#475569;font-size:12px;padding:8px 10px;border-bottom:1px solid var(--line);z-index:1}
td{padding:7px 10px;border-bottom:1px solid #f1f5f9;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr[hidden]{display:none}
tbody tr:hover td{background:#f8fafc}
.codes td.msg{color:#475569;max-width:420px}
.share{display:flex;align-items:center;gap:8px;min-width:150px}
.share .track{flex:1;height:8px;border-radius:4px;background:#f1f5f9;overflow:hidden}
.share .fill{display:block;height:100%;background:#e5484d;border-radius:4px}
.share .p{width:44px;text-align:right;color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.badge{font-size:12px;white-space:nowrap;color:#334155}
.badge .dot{vertical-align:-1px;margin-right:5px}
.badges{display:flex;flex-wrap:wrap;gap:2px 10px}
.search{display:flex;align-items:center;gap:12px;margin-bottom:10px;flex-wrap:wrap}
.search input{flex:1;min-width:240px;font:inherit;padding:8px 12px;border:1px solid #cbd5e1;border-radius:8px;outline:none;background:#fff}
.search input:focus{border-color:var(--accent);box-shadow:0 0 0 3px #dbeafe}
.search .matches{color:var(--muted);font-size:12.5px;font-variant-numeric:tabular-nums}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:8px}
/*
 * The failure table lays its rows out as grids so each row can skip layout and paint while
 * off screen (content-visibility): filtering 10 000 rows then stays quick.
 */
table.failures,.failures thead,.failures tbody{display:block}
.failures tr{display:grid;grid-template-columns:136px 104px 150px minmax(0,1fr) 64px 136px 164px}
.failures tbody tr{content-visibility:auto;contain-intrinsic-size:auto 34px}
.failures thead{position:sticky;top:0;z-index:1}
.failures th,.failures td{display:block;overflow-wrap:anywhere;min-width:0;border-bottom:0;line-height:20px}
.failures tbody tr{border-bottom:1px solid #f1f5f9}
.failures thead tr{border-bottom:1px solid var(--line)}
.failures td.msg{color:#334155}
.failures tr.no-match{display:block}
.failures tbody tr[hidden]{display:none}
.failures td.id{word-break:break-all}
.failures td.when{white-space:nowrap;color:var(--muted)}
.more{margin:10px 0 0;color:#334155;font-size:13px}
.empty{color:var(--muted);margin:8px 0}
.no-match td{text-align:center;color:var(--muted);padding:18px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media (max-width:860px){.outcomes,.figures{grid-template-columns:repeat(2,minmax(0,1fr))}.meta{text-align:left}}
@media print{body{background:#fff}.card,.figure{break-inside:avoid}.scroll{max-height:none;overflow:visible}.search{display:none}}
`;

/** Filters the failure table as the reader types: every word must appear in the row. */
export const SEARCH_SCRIPT = `(function () {
  var input = document.getElementById('failure-search');
  var table = document.getElementById('failures');
  if (!input || !table) return;
  var rows = table.querySelectorAll('tbody tr[data-search]');
  var shown = document.getElementById('failure-matches');
  var none = document.getElementById('failure-none');
  function apply() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var visible = 0;
    for (var i = 0; i < rows.length; i++) {
      var text = rows[i].getAttribute('data-search') || '';
      var hit = true;
      for (var j = 0; j < words.length && hit; j++) hit = text.indexOf(words[j]) !== -1;
      if (rows[i].hidden === hit) rows[i].hidden = !hit;
      if (hit) visible++;
    }
    table.setAttribute('data-visible', String(visible));
    if (shown) shown.textContent = visible.toLocaleString('en-US') + ' of ' + rows.length.toLocaleString('en-US') + ' rows';
    if (none) none.hidden = visible !== 0;
  }
  input.addEventListener('input', apply);
  apply();
})();`;
