import type { AuditReport, ControlStatus, ReportControl } from "./model";
import { anchor, evidenceLine, mappingColumns, mappingLines } from "./render";
import { esc, retentionSvg } from "./timeline";

/**
 * The report as one self-contained HTML page (no scripts, no external resources): a summary box
 * that answers RPO, RTO, retention, immutability, copies and restore testing at a glance, the
 * retention timeline picture inline (SVG), then every control as in the Markdown.
 */
export function renderHtml(r: AuditReport): string {
    const p = r.provenance;
    const body: string[] = [
        `<h1>Backup and disaster-recovery audit report: ${esc(r.environment)}</h1>`,
        `<p class="provenance">Generated <time datetime="${esc(p.generatedAt)}">${esc(p.generatedAt)}</time> from <code>${esc(r.source)}</code>, SHA-256 <code>${esc(p.stackFileSha256)}</code>${
            p.gitCommit === undefined ? ", not in a git work tree" : `, git commit <code>${esc(p.gitCommit)}</code>`
        }.</p>`,
        `<section class="summary" aria-label="Summary"><h2>Summary</h2><dl>`,
        ...r.summary.map((s) => `<div class="row ${cls(s.status)}"><dt>${esc(s.question)}</dt><dd>${esc(s.answer)} <span class="status">${esc(s.status)}</span></dd></div>`),
        `</dl><p class="evidence">Evidence: ${inlineCode(evidenceLine(r.evidence))}</p></section>`,
        `<section class="timeline"><h2>Retention timeline</h2>`,
        retentionSvg(r.retention),
        r.retention.bucketLockDays === undefined ? "" : `<p>Objects other than dumps and their manifests (table exports, the configuration record) are locked by the bucket's default retention of ${r.retention.bucketLockDays} days.</p>`,
        `</section>`,
        `<section><h2>Controls</h2><table><thead><tr><th>Control</th><th>Status</th>${mappingColumns(r).map((col) => `<th>${esc(col.title)}</th>`).join("")}</tr></thead><tbody>`,
        ...r.controls.map(
            (c) =>
                `<tr class="${cls(c.status)}"><td><a href="#${anchor(c.title)}">${esc(c.title)}</a></td><td>${esc(c.status)}</td>${mappingColumns(r).map((col) => `<td>${esc(col.cell(c))}</td>`).join("")}</tr>`,
        ),
        `</tbody></table></section>`,
        ...r.controls.map(controlSection),
        !r.clouds.includes("aws")
            ? ""
            : `<section><h2>AWS Backup Audit Manager</h2>${
                  r.auditManager === undefined
                      ? `<p>Not deployed: the stack deploys no AWS Backup plan.</p>`
                      : `<p>Framework <code>${esc(r.auditManager.frameworkName)}</code> and report plan <code>${esc(r.auditManager.reportPlanName)}</code> in ${esc(r.auditManager.region)}; the report plan delivers ${esc(r.auditManager.delivery)}.</p><p>${esc(r.auditManager.prerequisite)}</p><ul>${r.auditManager.controls.map((c) => `<li><code>${esc(c)}</code></li>`).join("")}</ul>`
              }</section>`,
        `<section><h2>Validation warnings</h2>${r.warnings.length === 0 ? "<p>None.</p>" : `<ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`}</section>`,
    ];
    return [
        "<!DOCTYPE html>",
        `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
        `<link rel="icon" href="data:,">`,
        `<title>Audit report: ${esc(r.environment)}</title>`,
        `<style>${CSS}</style></head><body>`,
        ...body.filter((line) => line !== ""),
        "</body></html>",
        "",
    ].join("\n");
}

function controlSection(c: ReportControl): string {
    return [
        `<section class="control ${cls(c.status)}" id="${anchor(c.title)}"><h2>${esc(c.title)} <span class="status">${esc(c.status)}</span></h2>`,
        c.findings.length === 0 ? "" : `<ul class="findings">${c.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>`,
        `<h3>What the stack guarantees</h3><ul>${c.guarantees.map((g) => `<li>${inlineCode(g)}</li>`).join("")}</ul>`,
        c.keys.length === 0
            ? `<p>Configuration keys: none (always on).</p>`
            : `<h3>Configuration keys</h3><table><tbody>${c.keys.map((k) => `<tr><td><code>${esc(k.path)}</code></td><td>${esc(k.value)}</td><td>${k.origin}</td></tr>`).join("")}</tbody></table>`,
        `<h3>Enforced by</h3><ul>${c.resources.map((res) => `<li>${esc(res)}</li>`).join("")}</ul>`,
        `<h3>Answers</h3><ul>${mappingLines(c).map((m) => `<li>${esc(m)}</li>`).join("")}</ul>`,
        c.evidence.length === 0 ? "" : `<h3>Measured</h3><ul>${c.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>`,
        `</section>`,
    ].join("");
}

/** Escapes text and turns `code` spans into <code>. */
function inlineCode(text: string): string {
    return esc(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function cls(status: ControlStatus): string {
    return status === "in place" ? "ok" : status;
}

const CSS = [
    "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1a202c;line-height:1.45}",
    "code{font-size:.9em;background:#edf2f7;padding:0 .2em;border-radius:3px}",
    ".provenance{color:#4a5568}",
    ".summary{border:2px solid #2b6cb0;border-radius:8px;padding:.5rem 1rem;background:#f7fafc}",
    ".summary dl{display:grid;grid-template-columns:1fr;gap:.3rem;margin:0}",
    ".summary .row{display:grid;grid-template-columns:10rem 1fr;gap:.5rem}",
    ".summary dt{font-weight:700}.summary dd{margin:0}",
    ".status{font-size:.8em;font-weight:600;padding:0 .4em;border-radius:3px;background:#c6f6d5;color:#22543d}",
    ".gap .status{background:#fefcbf;color:#744210}.flagged .status{background:#fed7d7;color:#822727}",
    "tr.gap td:nth-child(2){color:#744210;font-weight:600}tr.flagged td:nth-child(2){color:#822727;font-weight:600}",
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e2e8f0;padding:.25rem .4rem;text-align:left;vertical-align:top}",
    ".findings li{color:#822727}",
    "svg{max-width:100%;height:auto}",
].join("");
