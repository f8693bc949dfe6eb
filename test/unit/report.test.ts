import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { DrillSummary } from "../../cli/drill";
import { parseReportArgs, runReport } from "../../cli/report";
import { readStackFile, type RawStackConfig } from "../../config/load";
import { EvidenceError, buildReport, parseEvidence, renderJson, renderMarkdown, type AuditReport, type ControlId, type Evidence } from "../../config/report";
import { validateConfig } from "../../config/validate";
import type { VerifyReport } from "../../lambdas/verify/verify";
import { ROOT } from "../helpers/stackFiles";

const PROD = path.join(ROOT, "Pulumi.prod.yaml");
const AZURE_EXAMPLE = path.join(ROOT, "examples", "Pulumi.azure-flexible-geo.yaml");

/** Every control an auditor asks about, with its title in the report. */
const CONTROLS: Readonly<Record<ControlId, string>> = {
    rpo: "Recovery point objective (RPO)",
    rto: "Recovery time objective (RTO)",
    retention: "Retention per tier",
    "encryption-at-rest": "Encryption at rest",
    "encryption-in-transit": "Encryption in transit",
    immutability: "Immutability",
    "geo-redundancy": "Geo-redundancy",
    "point-in-time-recovery": "Point-in-time recovery window per database",
    "restore-testing": "Restore testing cadence",
    verification: "Verification cadence",
    alerting: "Alerting recipients",
    "least-privilege": "Least privilege",
};

function reportOf(raw: RawStackConfig, evidence?: Evidence): AuditReport {
    const result = validateConfig(raw);
    assert.ok(result.config !== undefined, result.findings.map((f) => `${f.path}: ${f.message}`).join("\n"));
    return buildReport({ config: result.config, raw, findings: result.findings, ...(evidence === undefined ? {} : { evidence }) });
}

/** The stack file's raw config with one top-level section replaced (or removed with undefined). */
function withSection(raw: RawStackConfig, key: string, value: unknown): RawStackConfig {
    const values: Record<string, unknown> = { ...raw.values };
    if (value === undefined) delete values[key];
    else values[key] = value;
    return { ...raw, values };
}

function control(r: AuditReport, id: ControlId): AuditReport["controls"][number] {
    const c = r.controls.find((x) => x.id === id);
    assert.ok(c !== undefined, `no control ${id}`);
    return c;
}

function drillSummary(overrides: Partial<DrillSummary>): DrillSummary {
    return {
        ok: true,
        database: "sample",
        bucket: "pg-backup-drill",
        key: "backups/sample/2026/03/10/sample-20260310T120000Z.dump",
        sizeBytes: 10_485_760,
        restoreSeconds: 42.5,
        rtoSeconds: 3600,
        checks: [
            { name: "dump", ok: true, detail: "10.0 MiB in 3.1s" },
            { name: "verify.checksum", ok: true, detail: "sha256 matches" },
            { name: "restore.rowCounts", ok: true, detail: "9/9 tables match the manifest" },
            { name: "restore.rto", ok: true, detail: "took 42.5s; RTO 60 min" },
        ],
        metrics: [],
        started: {},
        ...overrides,
    };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReport(args, { out: (t) => void out.push(t), err: (l) => void err.push(l) });
    return { code, out: out.join(""), err: err.join("\n") };
}

describe("audit report: controls and keys", () => {
    it("for Pulumi.prod.yaml names every control, the keys that set it and the components that enforce it", () => {
        // given the production stack
        const raw = readStackFile(PROD);
        // when the report is built and rendered
        const report = reportOf(raw);
        const md = renderMarkdown(report);
        // then every control is there, in order, with its section
        assert.deepEqual(report.controls.map((c) => c.id), Object.keys(CONTROLS));
        for (const title of Object.values(CONTROLS)) assert.match(md, new RegExp(`^## ${title.replace(/[()]/g, "\\$&")}$`, "m"));
        // and the keys behind the promises, with the stack file's values
        const keys = new Map<string, string>(report.controls.flatMap((c) => c.keys.map((k) => [`${c.id} ${k.path}`, `${k.value} (${k.origin})`] as const)));
        const expected: readonly [string, string][] = [
            ["rpo objectives.rpoMinutes", "60 (set)"],
            ["rpo schedules.dump", "cron(5 * * * ? *) (set)"],
            ["rto objectives.rtoMinutes", "60 (set)"],
            ["rto functions.restoreJobs", "2 (default)"],
            ["retention retention.monthly.deepArchiveAfterDays", "150 (set)"],
            ["retention retention.weekly.keepDays", "90 (set)"],
            ["immutability storage.objectLock.mode", "COMPLIANCE (set)"],
            ["immutability storage.objectLock.days", "14 (set)"],
            ["immutability aws.backup.vaultLock.maxRetentionDays", "400 (set)"],
            ["geo-redundancy storage.replication", "true (default)"],
            ["geo-redundancy aws.databases[0].instance.drBackupRetentionDays", "7 (set)"],
            ["point-in-time-recovery aws.databases[0].instance.backupRetentionDays", "14 (set)"],
            ["restore-testing aws.backup.restoreTesting.schedule", "cron(0 6 ? * SAT *) (default)"],
            ["verification schedules.verify", "cron(30 4 * * ? *) (set)"],
            ["alerting alerts.emails", "dba-oncall@example.com, platform@example.com (set)"],
        ];
        for (const [key, value] of expected) assert.equal(keys.get(key), value, key);
        assert.match(md, /\| `storage\.objectLock\.mode` \| COMPLIANCE \| set \|/);
        // and what the values mean
        assert.match(md, /monthly: kept 400 days; storage classes Standard day 0 -> Standard-IA day 30 -> Glacier Flexible Retrieval day 60 -> Deep Archive day 150 -> expire day 400\./);
        assert.match(md, /A database whose newest dump is older than 1 h \(the RPO\), or that reports no dump at all, raises/);
        assert.match(md, /orders \(RDS\): any second of the last 14 days, up to about 5 min ago; in eu-central-1: the last 7 days\./);
        assert.ok(control(report, "immutability").resources.some((r) => /^BackupBucket "backups": versioning and Object Lock/.test(r)));
        assert.ok(control(report, "point-in-time-recovery").resources.includes(`RdsPostgres "orders"`));
        // and prod has every control in place
        assert.deepEqual(report.controls.filter((c) => c.status !== "in place").map((c) => c.id), []);
    });

    it("Object Lock off turns the immutability control into a gap naming the key, and the warning is listed", () => {
        // given prod without Object Lock
        const raw = readStackFile(PROD);
        const storage = { ...(raw.values["storage"] as Record<string, unknown>) };
        delete storage["objectLock"];
        // when reported
        const before = control(reportOf(raw), "immutability");
        const report = reportOf(withSection(raw, "storage", storage));
        const after = control(report, "immutability");
        // then immutability is a gap, and says why
        assert.equal(before.status, "in place");
        assert.equal(after.status, "gap");
        assert.ok(after.findings.some((f) => /no Object Lock.*\(storage\.objectLock\)/.test(f)), after.findings.join("\n"));
        assert.ok(!after.guarantees.some((g) => /S3 Object Lock/.test(g)));
        assert.ok(before.guarantees.some((g) => /S3 Object Lock COMPLIANCE: every dump and manifest is locked for 14 days/.test(g)));
        assert.deepEqual(after.keys.find((k) => k.path === "storage.objectLock.mode"), { path: "storage.objectLock.mode", value: "(not set)", origin: "default" });
        assert.ok(report.warnings.some((w) => /^warning: storage\.objectLock: \(missing\) is not set in prod/.test(w)), report.warnings.join("\n"));
        assert.match(renderMarkdown(report), /\| \[Immutability\]\(#immutability\) \| gap \|/);
    });

    it("GOVERNANCE Object Lock says privileged users can remove it early", () => {
        const raw = readStackFile(PROD);
        const storage = { ...(raw.values["storage"] as Record<string, unknown>), objectLock: { mode: "GOVERNANCE", days: 7 } };
        const c = control(reportOf(withSection(raw, "storage", storage)), "immutability");
        assert.ok(c.guarantees.some((g) => /S3 Object Lock GOVERNANCE: every dump and manifest is locked for 7 days after it is written; only principals allowed s3:BypassGovernanceRetention/.test(g)), c.guarantees.join("\n"));
    });

    it("replication off is a geo-redundancy gap; a database without verification is a verification gap", () => {
        // given prod with replication off and the database not verified
        const raw = readStackFile(PROD);
        const storage = { ...(raw.values["storage"] as Record<string, unknown>), replication: false };
        const aws = structuredClone(raw.values["aws"]) as { databases: Record<string, unknown>[] };
        const first = aws.databases[0];
        assert.ok(first !== undefined);
        first["verify"] = false;
        // when reported
        const report = reportOf(withSection(withSection(raw, "storage", storage), "aws", aws));
        // then both controls show the gap with its key
        assert.equal(control(report, "geo-redundancy").status, "gap");
        assert.ok(control(report, "geo-redundancy").findings.some((f) => /kept in eu-west-1 only \(storage\.replication is off\)/.test(f)));
        assert.equal(control(report, "verification").status, "gap");
        assert.ok(control(report, "verification").findings.some((f) => /dumps of orders are not verified/.test(f)));
        assert.equal(control(report, "verification").keys.find((k) => k.path === "aws.databases[0].verify")?.value, "false");
    });

    it("an Azure stack reports geo-redundant backups, storage immutability and Entra-only storage access", () => {
        // given the Azure example
        const report = reportOf(readStackFile(AZURE_EXAMPLE));
        // then the Azure parts are named with their keys
        const geo = control(report, "geo-redundancy");
        assert.ok(geo.guarantees.some((g) => /Azure server blog-db: backups also kept in the paired region/.test(g)));
        assert.equal(geo.keys.find((k) => k.path === "azure.servers[0].geoRedundantBackup")?.value, "true");
        assert.ok(geo.guarantees.some((g) => /Azure file backups: Standard_RAGRS, copied to the paired region/.test(g)));
        const imm = control(report, "immutability");
        assert.ok(imm.guarantees.some((g) => /time-based immutability of 30 days/.test(g)));
        assert.equal(control(report, "least-privilege").keys.find((k) => k.path === "azure.storage.allowSharedKeyAccess")?.origin, "default");
        assert.ok(control(report, "point-in-time-recovery").guarantees.some((g) => /blog-db \(Azure Flexible Server\): any second of the last 30 days; geo-restore/.test(g)));
        assert.ok(control(report, "point-in-time-recovery").guarantees.some((g) => /blog: the instance is not managed by this stack/.test(g)));
    });

    it("shows e-mail recipients but never a webhook address", () => {
        // given a stack with an encrypted webhook
        const raw = readStackFile(PROD);
        const secret = "v1:AAAABBBBCCCCsecretciphertext==";
        const report = reportOf(withSection(raw, "alerts", { emails: ["oncall@example.com"], webhookUrls: [{ secure: secret }] }));
        // when rendered both ways
        const text = renderMarkdown(report) + renderJson(report);
        // then the count is there, the address (or its ciphertext) is not
        assert.ok(!text.includes(secret));
        assert.match(text, /1 email recipient\(s\): oncall@example\.com; 1 webhook\(s\) \(their addresses are secrets and not shown\)/);
        assert.equal(control(report, "alerting").keys.find((k) => k.path === "alerts.webhookUrls")?.value, "1 (secret)");
    });

    it("no recipients is an alerting gap", () => {
        const raw = readStackFile(PROD);
        const report = reportOf(withSection(raw, "alerts", undefined));
        assert.equal(control(report, "alerting").status, "gap");
    });
});

describe("audit report: evidence", () => {
    it("a drill restore over the RTO flags the RTO control with the measured time", () => {
        // given a drill whose restore took longer than prod's RTO of 60 min
        const raw = readStackFile(PROD);
        const slow = parseEvidence(JSON.stringify(drillSummary({ restoreSeconds: 3725.4 })), "drill.json");
        const fast = parseEvidence(JSON.stringify(drillSummary({})), "drill.json");
        // when reported
        const flagged = control(reportOf(raw, slow), "rto");
        const fine = control(reportOf(raw, fast), "rto");
        // then only the slow one is flagged, and both show the measurement
        assert.equal(flagged.status, "flagged");
        assert.ok(flagged.findings.some((f) => /restore of sample took 3725\.4 s, over the RTO of 3600 s/.test(f)), flagged.findings.join("\n"));
        assert.deepEqual(flagged.evidence, ["drill restore of sample: 3725.4 s against the RTO of 1 h (103 %)"]);
        assert.equal(fine.status, "in place");
        assert.deepEqual(fine.evidence, ["drill restore of sample: 42.5 s against the RTO of 1 h (1 %)"]);
    });

    it("failed checks flag verification and restore testing; passed counts are reported", () => {
        // given a drill with a failed row-count check
        const raw = readStackFile(PROD);
        const evidence = parseEvidence(
            JSON.stringify(drillSummary({ ok: false, checks: [{ name: "dump", ok: true, detail: "ok" }, { name: "restore.rowCounts", ok: false, detail: "1 table(s) differ: public.orders 9 vs 10" }] })),
            "drill.json",
        );
        // when reported
        const report = reportOf(raw, evidence);
        // then
        assert.equal(control(report, "verification").status, "flagged");
        assert.ok(control(report, "verification").evidence.includes("drill: 1 of 2 checks passed"));
        assert.ok(control(report, "verification").evidence.includes("FAILED restore.rowCounts: 1 table(s) differ: public.orders 9 vs 10"));
        assert.equal(control(report, "restore-testing").status, "flagged");
        assert.match(renderMarkdown(report), /drill result from `drill\.json`: FAILED, 1 of 2 checks passed\./);
    });

    it("reads a verify report, with its time, per-database restores and checks", () => {
        // given a verify report whose restore ran over the RTO
        const verify: VerifyReport = {
            ok: false,
            startedAt: "2026-03-10T04:30:00.000Z",
            finishedAt: "2026-03-10T05:35:10.000Z",
            targets: [
                {
                    name: "orders",
                    kind: "dump",
                    ok: false,
                    checks: [
                        { name: "checksum", ok: true, skipped: false, detail: "sha256 matches" },
                        { name: "rto", ok: false, skipped: false, detail: "restore took 3900.0 s; RTO 3600 s", value: 3900, unit: "Seconds" },
                    ],
                    restore: { database: "verify_orders_1", seconds: 3900, tables: [], serverVersion: "15.6", rowCountsMatch: true } as unknown as NonNullable<VerifyReport["targets"][number]["restore"]>,
                },
            ],
        };
        // when read and reported
        const evidence = parseEvidence(JSON.stringify(verify), "verify.json");
        const report = reportOf(readStackFile(PROD), evidence);
        // then the figures are the report's
        assert.deepEqual(evidence.restores, [{ database: "orders", seconds: 3900 }]);
        assert.deepEqual(evidence.checks.map((c) => c.name), ["orders/checksum", "orders/rto"]);
        assert.equal(control(report, "rto").status, "flagged");
        assert.ok(control(report, "verification").evidence.includes("verify of 2026-03-10T05:35:10.000Z: 1 of 2 checks passed"));
    });

    it("takes the last JSON line of a whole drill output, and refuses what is not evidence", () => {
        // given the drill's stdout: the human summary, then the JSON line
        const stdout = ["> pg-backup-stack@0.1.0 drill", "", "drill summary", "  restore   42.5s against an RTO of 60 min", "drill passed", JSON.stringify(drillSummary({}))].join("\n");
        // when parsed
        const evidence = parseEvidence(stdout, "drill.out");
        // then
        assert.equal(evidence.kind, "drill");
        assert.equal(evidence.ok, true);
        assert.deepEqual(evidence.restores, [{ database: "sample", seconds: 42.5 }]);
        assert.throws(() => parseEvidence("drill passed\n", "x.txt"), (e: unknown) => e instanceof EvidenceError && /x\.txt: no JSON object found/.test(e.message));
        assert.throws(() => parseEvidence('{"hello": 1}', "x.json"), (e: unknown) => e instanceof EvidenceError && /x\.json: a JSON object without "checks"/.test(e.message));
        assert.throws(
            () => parseEvidence('{"checks": [{"name": 1}], "rtoSeconds": 60}', "x.json"),
            (e: unknown) => e instanceof EvidenceError && /x\.json: checks\[0\] needs "name" \(string\) and "ok" \(boolean\)/.test(e.message),
        );
    });
});

describe("report command", () => {
    it("prints the same Markdown every time for the same inputs, and JSON with --format json", async () => {
        // given the prod stack
        // when reported twice, and as JSON
        const a = await run([PROD]);
        const b = await run([PROD]);
        const j = await run(["--format", "json", PROD]);
        // then the outputs match byte for byte and carry no time
        assert.equal(a.code, 0, a.err);
        assert.equal(a.out, b.out);
        assert.doesNotMatch(a.out, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
        const parsed = JSON.parse(j.out) as AuditReport;
        assert.equal(parsed.controls.length, 12);
        assert.equal(parsed.environment, "prod");
    });

    it("writes --out, adding --evidence", async () => {
        // given a drill result over the RTO in a file
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
        try {
            const evidence = path.join(dir, "drill.json");
            fs.writeFileSync(evidence, `${JSON.stringify(drillSummary({ restoreSeconds: 4000 }))}\n`);
            const out = path.join(dir, "report.md");
            // when written to a file
            const r = await run([PROD, "--evidence", evidence, "--out", out]);
            // then the file holds the flagged RTO, and stderr says what was written
            assert.equal(r.code, 0, r.err);
            assert.equal(r.out, "");
            assert.match(fs.readFileSync(out, "utf8"), /## Recovery time objective \(RTO\)\n\nStatus: \*\*flagged\*\*/);
            assert.match(r.err, /wrote .*report\.md: 12 controls, Recovery time objective \(RTO\) flagged/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("exits 1 with every error for an invalid configuration, and writes nothing", async () => {
        // given a stack file with errors
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
        try {
            const file = path.join(dir, "Pulumi.bad.yaml");
            fs.writeFileSync(file, fs.readFileSync(PROD, "utf8").replace("dr: eu-central-1", "dr: eu-west-1").replace("glacierAfterDays: 60", "glacierAfterDays: 45"));
            const out = path.join(dir, "report.md");
            // when reported
            const r = await run([file, "--out", out]);
            // then
            assert.equal(r.code, 1);
            assert.match(r.err, /2 error\(s\); no report for an invalid configuration/);
            assert.match(r.err, /regions\.dr: "eu-west-1" must differ from regions\.primary/);
            assert.match(r.err, /retention\.monthly\.glacierAfterDays: 45 must be at least 60/);
            assert.equal(fs.existsSync(out), false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses bad arguments with exit 2, naming the argument, the value and what is allowed", async () => {
        const cases: readonly [string[], RegExp][] = [
            [[PROD, "--format", "html"], /^--format: "html" is not allowed; expected md or json/],
            [[], /^--stack or a stack file: missing/],
            [["--stack", "prod", PROD], /^--stack: "prod" is not allowed together with the file/],
            [["--stack", "../prod"], /^--stack: "\.\.\/prod" is not a stack name/],
            [[PROD, "--bogus"], /^--bogus: unknown option/],
        ];
        for (const [args, message] of cases) {
            const r = await run(args);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.err, message);
        }
        const missing = await run([PROD, "--evidence", path.join(os.tmpdir(), "no-such-evidence.json")]);
        assert.equal(missing.code, 1);
        assert.match(missing.err, /--evidence: ".*no-such-evidence\.json": no such file/);
    });

    it("--stack resolves Pulumi.<name>.yaml in the given directory", () => {
        assert.deepEqual(parseReportArgs(["--stack", "prod", "--format=json"], ROOT), { file: PROD, format: "json" });
    });
});
