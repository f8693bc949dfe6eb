import type { AuditReport, EvidenceSummary, ReportControl } from "./model";
import { lockName, lockWord } from "./timeline";

/** JSON and Markdown renderings of the report; the HTML one is in html.ts. */

export function renderJson(report: AuditReport): string {
    return `${JSON.stringify(report, null, 2)}\n`;
}

/** Files written next to the Markdown, linked from it. */
export interface MarkdownLinks {
    /** The HTML report, relative to the Markdown file. */
    readonly html: string;
    /** The retention timeline picture (SVG), relative to the Markdown file. */
    readonly svg: string;
}

export function renderMarkdown(r: AuditReport, links?: MarkdownLinks): string {
    const p = r.provenance;
    const lines: string[] = [
        `# Backup and disaster-recovery audit report: ${r.environment}`,
        "",
        `Generated ${p.generatedAt} from \`${r.source}\` (SHA-256 \`${p.stackFileSha256}\`${p.gitCommit === undefined ? ", not in a git work tree" : `, git commit \`${p.gitCommit}\``}). Keys are below the \`${r.namespace}:\` namespace; "set" means written in the stack file, "default" that the documented default applies.`,
        "",
        "## Summary",
        "",
        "| Question | Answer | Status |",
        "| --- | --- | --- |",
        ...r.summary.map((s) => `| ${s.question} | ${escapeCell(s.answer)} | ${s.status} |`),
        "",
        "## Retention timeline",
        "",
        ...(links === undefined
            ? [`The picture (storage classes over days, ${lockWord(r.retention)}, copies and point-in-time windows per tier) is in the HTML report: add \`--format html\`.`, ""]
            : [`![Retention timeline](${links.svg})`, "", `The same report with the picture inline: [${links.html}](${links.html}).`, ""]),
        ...r.retention.tiers.map(
            (t) => `- ${t.tier}: ${t.storageClasses.map((s) => `${s.storageClass} day ${s.fromDay}`).join(" -> ")} -> expire day ${t.keepDays}; ${t.lock === undefined ? `no ${lockWord(r.retention)}` : `${lockName(t.lock)} ${t.lock.days} days from the dump's start`}; copies: ${t.copies.join(", ")}`,
        ),
        ...r.retention.pointInTime.map((d) => `- point in time, ${d.database}: the last ${d.days} days${d.drDays === undefined ? "" : ` (${d.drDays} days in the DR region)`}`),
        "",
        "## Controls",
        "",
        `| Control | Status | ${mappingColumns(r).map((col) => col.title).join(" | ")} |`,
        `| --- | --- | ${mappingColumns(r).map(() => "---").join(" | ")} |`,
        ...r.controls.map((c) => `| [${c.title}](#${anchor(c.title)}) | ${c.status} | ${mappingColumns(r).map((col) => col.cell(c)).join(" | ")} |`),
        "",
    ];
    for (const c of r.controls) lines.push(...controlSection(c));
    const am = r.auditManager;
    if (r.clouds.includes("aws")) lines.push(
        "## AWS Backup Audit Manager",
        "",
        ...(am === undefined
            ? ["Not deployed: the stack deploys no AWS Backup plan (aws.backup.enabled is off or no database instance is managed by the stack).", ""]
            : [
                  `Framework \`${am.frameworkName}\` and report plan \`${am.reportPlanName}\` in ${am.region}; the report plan delivers ${am.delivery}.`,
                  "",
                  am.prerequisite,
                  "",
                  "Controls deployed:",
                  "",
                  ...am.controls.map((ctl) => `- ${ctl}`),
                  "",
              ]),
    );
    lines.push("## Validation warnings", "");
    lines.push(...(r.warnings.length === 0 ? ["None."] : r.warnings.map((w) => `- ${w}`)), "");
    lines.push("## Evidence", "", evidenceLine(r.evidence), "");
    return lines.join("\n");
}

function controlSection(c: ReportControl): string[] {
    const lines = [`## ${c.title}`, "", `Status: **${c.status}**`, ""];
    for (const f of c.findings) lines.push(`> ${f}`);
    if (c.findings.length > 0) lines.push("");
    lines.push("What the stack guarantees:", "", ...c.guarantees.map((g) => `- ${g}`), "");
    if (c.keys.length > 0) {
        lines.push("Configuration keys:", "", "| Key | Value | |", "| --- | --- | --- |", ...c.keys.map((k) => `| \`${k.path}\` | ${escapeCell(k.value)} | ${k.origin} |`), "");
    } else {
        lines.push("Configuration keys: none (always on).", "");
    }
    lines.push("Enforced by:", "", ...c.resources.map((res) => `- ${res}`), "");
    lines.push("Answers:", "", ...mappingLines(c).map((m) => `- ${m}`), "");
    if (c.evidence.length > 0) lines.push("Measured:", "", ...c.evidence.map((e) => `- ${e}`), "");
    return lines;
}

/** The control's mapping as lines: Audit Manager and Security Hub for AWS, Azure Policy and benchmark controls for Azure (those present), checklist items. */
export function mappingLines(c: ReportControl): string[] {
    const m = c.mapping;
    return [
        ...(m.aws === undefined ? [] : [
            `AWS Backup Audit Manager: ${m.aws.auditManager.join(", ") || "none"}`,
            `Security Hub: ${m.aws.securityHub.map((s) => `${s.id} (${s.title})`).join("; ") || "none"}`,
        ]),
        ...(m.azure === undefined ? [] : [
            `Azure Policy: ${m.azure.azurePolicy.map((s) => `${s.title} (${s.id})`).join("; ") || "none"}`,
            `Microsoft cloud security benchmark: ${m.azure.cloudSecurityBenchmark.map((s) => `${s.id} (${s.title})`).join("; ") || "none"}`,
        ]),
        `Checklist: ${m.checklist.join("; ") || "none"}`,
    ];
}

/** The overview table's mapping columns: those of the clouds the stack uses. */
export function mappingColumns(r: AuditReport): { title: string; cell: (c: ReportControl) => string }[] {
    return [
        ...(r.clouds.includes("aws") ? [
            { title: "AWS Backup Audit Manager", cell: (c: ReportControl) => c.mapping.aws?.auditManager.join(", ") || "-" },
            { title: "Security Hub", cell: (c: ReportControl) => c.mapping.aws?.securityHub.map((s) => s.id).join(", ") || "-" },
        ] : []),
        ...(r.clouds.includes("azure") ? [
            { title: "Azure Policy", cell: (c: ReportControl) => c.mapping.azure?.azurePolicy.length ? `${c.mapping.azure.azurePolicy.length} definition(s)` : "-" },
            { title: "Cloud security benchmark", cell: (c: ReportControl) => c.mapping.azure?.cloudSecurityBenchmark.map((s) => s.id).join(", ") || "-" },
        ] : []),
    ];
}

/** One sentence on the evidence: what, from where, when, about which stack and databases, and the outcome. */
export function evidenceLine(e: EvidenceSummary | undefined): string {
    if (e === undefined) return "None given (run `npm run drill -- --json > drill.json` and pass `--evidence drill.json`).";
    const when = e.ranAt !== undefined ? `ran ${e.ranAt}` : e.fileWrittenAt !== undefined ? `no run time in it; file written ${e.fileWrittenAt}` : "no date";
    return `${e.kind} result from \`${e.source}\` (${when}; ${e.stack === undefined ? "stack not stated" : `stack ${e.stack}`}; database(s) ${e.databases.join(", ")}): ${e.ok ? "passed" : "FAILED"}, ${e.passed} of ${e.total} checks passed.`;
}

export function anchor(title: string): string {
    return title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

function escapeCell(text: string): string {
    return text.replace(/\|/g, "\\|");
}
