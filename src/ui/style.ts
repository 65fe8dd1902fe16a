/**
 * The dashboard's stylesheet, served as /ui/assets/style.css (a file of its own: the CSP allows
 * no inline style). Kept in TypeScript so the build needs no copy step.
 */
export const STYLE_CSS = `
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header.top { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; padding: .6em 1em; border-bottom: 1px solid var(--line); background: var(--bg); }
header.top h1 { font-size: 1.2em; margin: 0; }
.node { color: var(--muted); font-weight: normal; }
.who { color: var(--muted); margin-left: auto; }
.connection { padding: .1em .6em; border-radius: 1em; background: #ddd; }
.connection.live { background: #dafbe1; color: var(--ok); }
.connection.lost { background: #ffebe9; color: var(--bad); font-weight: bold; }
.lost { margin: 0; padding: .6em 1em; background: var(--bad); color: #fff; font-weight: bold; }
body.disconnected main { filter: grayscale(1); opacity: .45; }
body.disconnected .action { pointer-events: none; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(24em, 1fr)); gap: 1em; padding: 1em; }
section { border: 1px solid var(--line); border-radius: 6px; padding: .2em 1em 1em; }
section#instances { grid-column: 1 / -1; }
section#timeline { grid-column: span 2; }
section.placeholder { border-style: dashed; color: var(--muted); }
#instance-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(22em, 1fr)); gap: 1em; }
.tile, .resource-tile { border: 1px solid var(--line); border-left: 6px solid #999; border-radius: 6px; padding: .5em .8em; }
.tile.state-master { border-left-color: var(--ok); }
.tile.state-backup { border-left-color: #0969da; }
.tile.state-fault { border-left-color: var(--bad); }
.tile header, .resource-tile header { display: flex; gap: .5em; align-items: baseline; }
.tile h3, .resource-tile h3 { margin: 0; }
.state { font-weight: bold; }
.state-master .state { color: var(--ok); }
.state-fault .state { color: var(--bad); }
.maintenance { background: #fff8c5; color: var(--warn); padding: 0 .4em; border-radius: 4px; }
.asof { color: var(--muted); font-size: .85em; margin: .2em 0; }
.asof.stale, .peer-asof.stale { color: var(--bad); font-weight: bold; }
.peer-summary { margin: 0 0 .5rem; }
.peer-summary[data-peer="unreachable"] { color: var(--bad); }
dl { display: grid; grid-template-columns: 8em 1fr; gap: .2em .6em; margin: .4em 0; }
dt { color: var(--muted); }
dd { margin: 0; }
ul.movers, ul.vips { margin: 0; padding-left: 1.1em; }
li.bad { color: var(--bad); }
li.ok { color: var(--ok); }
.actions { display: flex; gap: .5em; margin-top: .5em; }
button { font: inherit; padding: .25em .8em; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { background: var(--bg); }
ol.events { list-style: none; margin: 0; padding: 0; max-height: 32em; overflow-y: auto; }
ol.events li { display: grid; grid-template-columns: 6.5em 7em 1fr; gap: .5em; padding: .25em 0; border-bottom: 1px solid var(--line); }
.ev-time { color: var(--muted); font-variant-numeric: tabular-nums; }
.ev-type { font-size: .8em; text-transform: uppercase; letter-spacing: .03em; }
.ev-transition .ev-type { color: #0969da; font-weight: bold; }
.ev-check .ev-type { color: var(--warn); }
.ev-maintenance .ev-type, .ev-garp .ev-type, .ev-reload .ev-type { color: #8250df; }
.ev-resource .ev-type { color: #1b7c83; }
.ev-replication-lag .ev-type { color: var(--warn); }
.ev-split-brain .ev-type, .ev-address-conflict .ev-type { color: var(--warn); }
ol.events li.ev-alarm .ev-message, ol.events li.ev-alarm .ev-type { color: var(--bad); font-weight: bold; }
ol.events li.ev-failed .ev-message, ol.events li.ev-failed .ev-type { color: var(--bad); font-weight: bold; }
#resources { grid-column: 1 / -1; }
#resource-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(22em, 1fr)); gap: 1em; }
.resource-tile.phase-active { border-left-color: var(--ok); }
.resource-tile.phase-standby { border-left-color: #0969da; }
.resource-tile.phase-partial, .resource-tile.phase-dirty, .resource-tile.phase-stuck, .resource-tile.op-failed, .resource-tile.has-conflicts, .resource-tile.lag-alarm-raised { border-left-color: var(--bad); }
.resource-tile .kind { color: var(--muted); }
.phase-active .phase { color: var(--ok); font-weight: bold; }
.phase-partial .phase, .phase-dirty .phase, .phase-stuck .phase { color: var(--bad); font-weight: bold; }
dd.bad { color: var(--bad); }
dd.conflicts.bad { font-weight: bold; background: #ffebe9; padding: 0 .4em; border-radius: 4px; }
ul.gauges { margin: 0; padding-left: 0; list-style: none; }
ul.gauges li { display: flex; gap: .5em; align-items: center; }
.gauge-name { color: var(--muted); }
.gauge-value { font-variant-numeric: tabular-nums; }
svg.spark { border-bottom: 1px solid var(--line); }
svg.spark polyline { fill: none; stroke: #0969da; stroke-width: 1.5; }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 36em; }
dialog::backdrop { background: rgba(0,0,0,.3); }
.buttons { display: flex; gap: .5em; justify-content: flex-end; }
#confirm-ok { background: var(--bad); color: #fff; border-color: var(--bad); }
.error { color: var(--bad); }
body.login main { display: block; max-width: 24em; margin: 4em auto; }
body.login form { display: grid; gap: .6em; }
body.login input { font: inherit; padding: .4em; }
.backup-job { border-left-color: var(--ok); }
.backup-job.failed, .backup-job.alarmed { border-left-color: var(--bad); }
#backup-browser { margin-top: 1em; }
.snapshots { padding-left: 1.2em; }
.tree { border-collapse: collapse; width: 100%; }
.tree td, .tree th { text-align: left; padding: .15em .6em; border-bottom: 1px solid var(--line); }
#restore-target { font: inherit; width: 100%; margin: .4em 0; }
#restore-ok { background: var(--bad); color: #fff; border-color: var(--bad); }
`;
