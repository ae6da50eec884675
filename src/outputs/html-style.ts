/** The report page's only style sheet, inline: nothing is fetched. */
export const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f6f7f9;color:#1b1f24;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:anywhere}
main{max-width:72rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:0 0 .5rem}
h4{font-size:1rem;margin:1rem 0 .5rem}
p{margin:.5rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:.9em;background:#eef1f4;border-radius:3px;padding:0 .25em}
.status{display:inline-block;margin:0;padding:.15rem .6rem;border-radius:999px;font-weight:600;font-size:.85rem}
.status-drift{background:#ffebe9;color:#8c1c13}
.status-in-sync{background:#dafbe1;color:#0f5323}
.headline{font-size:1.15rem;font-weight:600}
ul{padding-left:1.25rem}
.facts{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:.35rem 1rem;margin:0}
.facts dt{font-weight:600}
.facts dd{margin:0;min-width:0}
.finding{background:#fff;border:1px solid #d0d7de;border-left:.35rem solid #8c959f;border-radius:6px;padding:1rem;margin:0 0 1rem}
.finding.sev-error{border-left-color:#cf222e}
.finding.sev-warning{border-left-color:#bf8700}
.finding.sev-info{border-left-color:#0969da}
.rule{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.n{color:#57606a}
.badges{margin:.25rem 0 .5rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.8rem;font-weight:600;background:#eaeef2;color:#24292f}
.sev-error .severity{background:#ffebe9;color:#8c1c13}
.sev-warning .severity{background:#fff8c5;color:#633c01}
.sev-info .severity{background:#ddf4ff;color:#0a3069}
.state-new{background:#ddf4ff;color:#0a3069}
.state-changed{background:#fbefff;color:#6e2d91}
.state-snoozed{background:#fff8c5;color:#633c01}
time{white-space:nowrap}
.since,.muted,.note{color:#57606a}
.note{font-size:.875rem}
.change{border-top:1px dashed #d0d7de;padding-top:.5rem;margin-top:.5rem}
.list-label{font-weight:600;margin-bottom:.25rem}
details.list{margin:.5rem 0}
details.list summary{cursor:pointer;margin-bottom:.25rem}
details.list[open] summary{margin-bottom:.5rem}
ul.ranges{list-style:none;padding:0;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.25rem .5rem}
ul.ranges li{max-width:100%;min-width:0}
ul.ranges li.more{font-style:italic;color:#57606a}
ul.resolved li,ul.properties li{margin:.25rem 0}
.table-wrap{overflow-x:auto;max-width:100%;border:1px solid #d0d7de;border-radius:6px;background:#fff}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #eaeef2;overflow-wrap:break-word}
th{background:#f6f8fa;white-space:nowrap}
td.name{min-width:12rem}
td.name code{overflow-wrap:anywhere}
td.reason{min-width:14rem}
.num{text-align:right;font-variant-numeric:tabular-nums}
.drift{color:#8c1c13}
@media (max-width:40rem){main{padding:1rem .75rem 2rem}h1{font-size:1.3rem}.facts{grid-template-columns:minmax(0,1fr)}.facts dd{margin-bottom:.5rem}}
@media print{body{background:#fff}.table-wrap{overflow:visible;border:0}.finding{break-inside:avoid}}
`;
