/**
 * Keeping pages current while runs are active, as progressive enhancement:
 * every page is complete without JavaScript; these inline scripts poll the
 * JSON API every 2 s and reload the page when what it shows has changed,
 * and stop once nothing listed is queued or running. No external assets, so
 * no build step and nothing for a Content-Security-Policy to allow but inline.
 */
import type { RunDetail } from "../api";

export const POLL_MS = 2000;

/**
 * What the run page shows that can change. RUN_PAGE_SCRIPT computes the same
 * string from /api/runs/:id in the browser: keep the two in step.
 */
export function runFingerprint(detail: Pick<RunDetail, "run" | "steps" | "logs">): string {
  return [detail.run.status, detail.run.cancelRequestedAt ?? "", detail.run.problem ?? "", detail.steps.map((s) => `${s.name}:${s.status}:${s.attempts}`).join(","), detail.logs.lines.length].join("|");
}

/** Reads `#run[data-run-id][data-fingerprint][data-active]`. */
export const RUN_PAGE_SCRIPT = `(function () {
  var root = document.getElementById("run");
  if (!root || root.getAttribute("data-active") !== "true") return;
  var id = root.getAttribute("data-run-id"), seen = root.getAttribute("data-fingerprint");
  var timer = setInterval(function () {
    fetch("/api/runs/" + encodeURIComponent(id), { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var now = [d.run.status, d.steps.map(function (s) { return s.name + ":" + s.status + ":" + s.attempts; }).join(","), d.logs.lines.length].join("|");
        if (now !== seen) { clearInterval(timer); location.reload(); }
      })
      .catch(function () {});
  }, ${POLL_MS});
})();`;

/**
 * Reads `tr[data-run-id][data-status]` rows; reloads when a listed run changes
 * status or a new run matches the filters. `?rerun=` (set after a re-run,
 * whose run the ingest Workflow creates a moment later) keeps it polling until
 * that new run shows up, then drops the parameter.
 */
export const HOME_PAGE_SCRIPT = `(function () {
  var rows = document.querySelectorAll("tr[data-run-id]");
  var shown = {}, active = false;
  rows.forEach(function (row) {
    var status = row.getAttribute("data-status");
    shown[row.getAttribute("data-run-id")] = status;
    if (status === "queued" || status === "running") active = true;
  });
  var expecting = new URLSearchParams(location.search).has("rerun");
  if (!active && !expecting) return;
  var timer = setInterval(function () {
    var query = new URLSearchParams(location.search);
    query.delete("rerun");
    query.set("limit", String(Math.max(rows.length, 1)));
    fetch("/api/runs?" + query.toString(), { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        var changed = body.runs.some(function (run) { return shown[run.id] !== run.status; });
        if (!changed) return;
        clearInterval(timer);
        var next = new URL(location.href);
        next.searchParams.delete("rerun");
        location.replace(next.toString());
      })
      .catch(function () {});
  }, ${POLL_MS});
})();`;
