import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    EvidenceError,
    buildReport,
    checkEvidenceIdentity,
    parseEvidence,
    renderHtml,
    renderJson,
    renderMarkdown,
    retentionSvg,
    type AuditReport,
    type Evidence,
    type Provenance,
} from "../audit";
import { formatFinding } from "../config/findings";
import { StackFileError, readStackFile, stackFilePath, stackNameOfFile, type RawStackConfig } from "../config/load";
import { validateConfig } from "../config/validate";
import { ArgumentError, parseOptions, usage } from "./args";

/**
 * `report (--stack <name> | <file>) [--format md|json|html] [--out <file>] [--evidence <file>]`:
 * the audit report of a stack, control by control, dated (generation time, SHA-256 of the stack
 * file, git commit). Markdown written with --out also writes the HTML report and the retention
 * picture (SVG) next to it and links them. Exit 0 written, 1 invalid configuration, unreadable
 * input or evidence from another stack or database, 2 bad arguments, 3 written but the evidence
 * failed (every control a failed check bears on is flagged).
 */

const OPTIONS = {
    stack: { type: "string", value: "NAME", description: "report on Pulumi.<NAME>.yaml in the current directory (or give the file itself)" },
    format: { type: "string", value: "md|json|html", description: 'output format (default "md"); html carries the retention timeline picture' },
    out: { type: "string", value: "FILE", description: "write the report to FILE (default: standard output)" },
    evidence: { type: "string", value: "FILE", description: "output of `npm run drill -- --json` (or a verify report) whose measurements are added" },
} as const;

const SYNOPSIS = "(--stack NAME | path/to/Pulumi.<stack>.yaml) [--format md|json|html] [--out FILE] [--evidence FILE]";

export interface ReportArgs {
    readonly file: string;
    readonly format: "md" | "json" | "html";
    readonly out?: string;
    readonly evidence?: string;
}

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parseReportArgs(args: readonly string[], cwd: string = process.cwd()): ReportArgs | undefined {
    const positional: string[] = [];
    const options: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg.startsWith("-")) {
            options.push(arg);
            const name = arg.slice(2);
            if (!arg.includes("=") && name in OPTIONS && args[i + 1] !== undefined) {
                options.push(args[i + 1] as string);
                i++;
            }
        } else {
            positional.push(arg);
        }
    }
    const o = parseOptions(options, OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    if (positional.length > 1) {
        throw new ArgumentError(`${positional.map((p) => JSON.stringify(p)).join(", ")}: more than one stack file; expected one`);
    }
    const [given] = positional;
    if (given !== undefined && o.stack !== undefined) {
        throw new ArgumentError(`--stack: "${o.stack}" is not allowed together with the file "${given}"; expected one of them`);
    }
    let file: string;
    if (o.stack !== undefined) {
        try {
            file = stackFilePath(o.stack, cwd);
        } catch (err) {
            throw err instanceof StackFileError ? new ArgumentError(err.message) : err;
        }
    } else if (given !== undefined) {
        file = given;
    } else {
        throw new ArgumentError("--stack or a stack file: missing; expected --stack NAME or path/to/Pulumi.<stack>.yaml");
    }
    const format = o.format ?? "md";
    if (format !== "md" && format !== "json" && format !== "html") {
        throw new ArgumentError(`--format: "${format}" is not allowed; expected md, json or html`);
    }
    return { file, format, ...(o.out === undefined ? {} : { out: o.out }), ...(o.evidence === undefined ? {} : { evidence: o.evidence }) };
}

export interface ReportIo {
    readonly out: (text: string) => void;
    readonly err: (line: string) => void;
    /** The generation time. @default the clock */
    readonly now?: () => Date;
}

export async function main(args: readonly string[]): Promise<number> {
    return runReport(args, { out: (text) => process.stdout.write(text), err: (line) => console.error(line) });
}

export async function runReport(args: readonly string[], io: ReportIo): Promise<number> {
    let parsed: ReportArgs | undefined;
    try {
        parsed = parseReportArgs(args);
    } catch (err) {
        if (err instanceof ArgumentError) {
            io.err(`${err.message}\n\n${usage("report", SYNOPSIS, OPTIONS)}`);
            return 2;
        }
        throw err;
    }
    if (parsed === undefined) {
        io.out(`${usage("report", SYNOPSIS, OPTIONS)}\n`);
        return 0;
    }
    let raw: RawStackConfig;
    let evidence: Evidence | undefined;
    let stackBytes: Buffer;
    try {
        raw = readStackFile(parsed.file);
        stackBytes = fs.readFileSync(parsed.file);
        evidence = parsed.evidence === undefined ? undefined : readEvidence(parsed.evidence);
    } catch (err) {
        if (err instanceof StackFileError || err instanceof EvidenceError) {
            io.err(err.message);
            return 1;
        }
        throw err;
    }
    const result = validateConfig(raw);
    if (result.config === undefined) {
        io.err(`${parsed.file}: ${result.findings.filter((f) => f.severity === "error").length} error(s); no report for an invalid configuration`);
        for (const f of result.findings) io.err(`  ${formatFinding(f)}`);
        return 1;
    }
    if (evidence !== undefined) {
        try {
            checkEvidenceIdentity(evidence, result.config);
        } catch (err) {
            if (err instanceof EvidenceError) {
                io.err(err.message);
                return 1;
            }
            throw err;
        }
    }
    const shown = path.isAbsolute(parsed.file) ? path.relative(process.cwd(), parsed.file) || parsed.file : parsed.file;
    const provenance = provenanceOf(parsed.file, stackBytes, (io.now ?? (() => new Date()))());
    const report = buildReport({ config: result.config, stack: stackNameOfFile(parsed.file), raw: { ...raw, source: shown }, findings: result.findings, provenance, ...(evidence === undefined ? {} : { evidence }) });
    const flagged = report.controls.filter((c) => c.status === "flagged");
    const code = evidence !== undefined && (!evidence.ok || flagged.length > 0) ? 3 : 0;
    if (parsed.out === undefined) {
        io.out(render(report, parsed.format));
    } else {
        const files = outputs(report, parsed.format, parsed.out);
        try {
            for (const [file, text] of files) fs.writeFileSync(file, text);
        } catch (err) {
            io.err(`--out: cannot write "${parsed.out}": ${err instanceof Error ? err.message : String(err)}`);
            return 1;
        }
        io.err(`wrote ${files.map(([file]) => file).join(", ")}: ${report.controls.length} controls, ${report.controls.filter((c) => c.status !== "in place").map((c) => `${c.title} ${c.status}`).join(", ") || "all in place"}`);
    }
    if (code !== 0) io.err(`the ${evidence?.kind ?? ""} evidence failed: ${flagged.map((c) => c.title).join(", ") || "no control flagged"}; exit ${code}`);
    return code;
}

function render(report: AuditReport, format: ReportArgs["format"]): string {
    return format === "json" ? renderJson(report) : format === "html" ? renderHtml(report) : renderMarkdown(report);
}

/** The files --out writes: Markdown comes with its HTML report and picture, linked by relative name. */
function outputs(report: AuditReport, format: ReportArgs["format"], out: string): [string, string][] {
    if (format !== "md") return [[out, render(report, format)]];
    const base = out.replace(/\.md$/i, "");
    const html = `${base}.html`;
    const svg = `${base}-retention.svg`;
    return [
        [out, renderMarkdown(report, { html: path.basename(html), svg: path.basename(svg) })],
        [html, renderHtml(report)],
        [svg, retentionSvg(report.retention)],
    ];
}

/** Generation time, SHA-256 of the stack file's bytes and the commit of the git work tree holding it, if any. */
function provenanceOf(file: string, bytes: Buffer, now: Date): Provenance {
    const stackFileSha256 = createHash("sha256").update(bytes).digest("hex");
    let gitCommit: string | undefined;
    try {
        gitCommit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: path.dirname(path.resolve(file)), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
        gitCommit = undefined;
    }
    return { generatedAt: now.toISOString(), stackFileSha256, ...(gitCommit === undefined || gitCommit === "" ? {} : { gitCommit }) };
}

function readEvidence(file: string): Evidence {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const reason = err instanceof Error && "code" in err && err.code === "ENOENT" ? "no such file" : String(err);
        throw new EvidenceError(`--evidence: "${file}": ${reason}`);
    }
    return parseEvidence(text, file, { writtenAt: fs.statSync(file).mtime.toISOString() });
}
