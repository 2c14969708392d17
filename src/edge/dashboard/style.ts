/**
 * The dashboard's only stylesheet, inlined into every page: no external
 * assets to host or fetch. Mobile first: tables scroll inside their own
 * focusable region instead of widening the page, so they keep their table
 * semantics for screen readers (a `display: block` card layout drops them).
 * Status colours only repeat what the status text and symbol already say.
 */
export const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --soft: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --act: #9a6700; --focus: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #f0f6fc; --muted: #9198a1; --line: #3d444d; --bg: #0d1117; --soft: #151b23; --ok: #3fb950; --bad: #f85149; --act: #d29922; --focus: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: 0.5rem 1rem; z-index: 1; }
.skip:focus { left: 0.5rem; top: 0.5rem; }
header { border-bottom: 1px solid var(--line); background: var(--soft); }
nav, main { max-width: 72rem; margin: 0 auto; padding: 0.75rem 1rem; }
nav { display: flex; gap: 0.5rem 1rem; align-items: center; flex-wrap: wrap; }
nav .brand { font-weight: 700; text-decoration: none; }
nav .who { margin-left: auto; color: var(--muted); display: flex; gap: 0.5rem; align-items: center; }
nav form { margin: 0; }
a { color: inherit; text-underline-offset: 0.15em; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 0.45rem 0.6rem; color: var(--muted); }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { white-space: nowrap; font-weight: 600; }
.status.succeeded { color: var(--ok); }
.status.failed { color: var(--bad); }
.status.queued, .status.running, .status.sleeping, .status.waiting { color: var(--act); }
.status.cancelled { color: var(--muted); }
code, pre { font: 0.85rem/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0; }
td pre { max-width: 40rem; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: 0.875rem; color: var(--muted); flex: 1 1 10rem; }
input, select, button { font: inherit; min-height: 2.5rem; padding: 0.35rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { cursor: pointer; background: var(--soft); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0 0 1rem; }
.actions form { margin: 0; }
.muted { color: var(--muted); }
.note { border-left: 3px solid var(--act); padding: 0.25rem 0.75rem; }
.live { font-size: 0.875rem; color: var(--muted); }
ul.installations { padding-left: 1.25rem; }
details.output summary { cursor: pointer; }
details.output pre, section[aria-labelledby=logs] pre, section[aria-labelledby=run-result] pre { max-height: 24rem; overflow: auto; }
.note-inline { font-size: 0.8125rem; color: var(--act); }
.track { min-width: 8rem; height: 0.6rem; background: var(--soft); border: 1px solid var(--line); border-radius: 3px; overflow: hidden; }
.bar { height: 100%; background: var(--ok); }
.bar.sleep, .bar.wait { background: repeating-linear-gradient(45deg, var(--act) 0 4px, transparent 4px 8px); }
.bar.failed { background: var(--bad); }
.bar.running { background: var(--focus); }
tr.group td { background: var(--soft); font-size: 0.875rem; }
ul.diagnostics { margin: 0.25rem 0 0; padding-left: 1.1rem; overflow-wrap: anywhere; }
ul.diagnostics li.error strong { color: var(--bad); }
ul.diagnostics li.warning strong { color: var(--act); }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  dl { grid-template-columns: 1fr; gap: 0 1rem; }
  dd { margin-bottom: 0.5rem; }
  th, td { padding: 0.4rem; }
  form.filters button { flex: 1 1 100%; }
}
`;
