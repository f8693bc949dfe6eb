import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { DrillSummary } from "../../../cli/drill/summary";
import { parseReportArgs, runReport } from "../../../cli/report";
import { readStackFile, stackNameOfFile, type RawStackConfig } from "../../../config/load";
import { createHash } from "crypto";
import {
    EvidenceError,
    buildReport,
    checkEvidenceIdentity,
    parseEvidence,
    renderHtml,
    renderJson,
    renderMarkdown,
    retentionSvg,
    scheduleInWords,
    type AuditReport,
    type ControlId,
    type Evidence,
} from "../../../audit";
import { validateConfig } from "../../../config/validate";
import type { VerifyReport } from "../../../lambdas/verify/verify";
import { ROOT } from "../../helpers/stackFiles";

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

const PROVENANCE = { generatedAt: "2026-03-10T12:00:00.000Z", stackFileSha256: "0".repeat(64), gitCommit: "a".repeat(40) };

function reportOf(raw: RawStackConfig, evidence?: Evidence): AuditReport {
    const result = validateConfig(raw);
    assert.ok(result.config !== undefined, result.findings.map((f) => `${f.path}: ${f.message}`).join("\n"));
    if (evidence !== undefined) checkEvidenceIdentity(evidence, result.config);
    return buildReport({ config: result.config, stack: stackNameOfFile(raw.source), raw, findings: result.findings, provenance: PROVENANCE, ...(evidence === undefined ? {} : { evidence }) });
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
        database: "orders",
        bucket: "pg-backup-drill",
        key: "backups/orders/2026/03/10/orders-20260310T120000Z.dump",
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

const NOW = new Date("2026-03-10T12:00:00.000Z");

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReport(args, { out: (t) => void out.push(t), err: (l) => void err.push(l), now: () => NOW });
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
            ["rpo schedules.dump", "cron(5 * * * ? *) (every hour at :05) (set)"],
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
            ["restore-testing aws.backup.restoreTesting.schedule", "cron(0 6 ? * SAT *) (every Saturday at 06:00 UTC) (default)"],
            ["verification schedules.verify", "cron(30 4 * * ? *) (every day at 04:30 UTC) (set)"],
            ["alerting alerts.emails", "dba-oncall@example.com, platform@example.com (set)"],
        ];
        for (const [key, value] of expected) assert.equal(keys.get(key), value, key);
        assert.match(md, /\| `storage\.objectLock\.mode` \| COMPLIANCE \| set \|/);
        // and what the values mean
        assert.match(md, /monthly: kept 400 days; storage classes Standard day 0 -> Standard-IA day 30 -> Glacier Flexible Retrieval day 60 -> Deep Archive day 150 -> expire day 400\./);
        assert.match(md, /A database whose newest dump is older than 1 h \(the RPO\), or that reports no dump at all, raises/);
        // and prod's Fargate dump: the missing-backup alarm waits its estimate (1000 GB at 25 MB/s plus 300 s), and failed tasks alarm
        assert.match(md, /orders is dumped by a Fargate task: its backup counts as missing 11 h 12 min after the allowed age \(its dump's estimated duration\)/);
        assert.match(md, /Fargate tasks that stop without succeeding \(failed to start, out-of-memory kill, exit code not 0, stopped by hand\) raise the task-failed alarm/);
        assert.equal(keys.get("rpo aws.databases[0].runner"), "fargate (set)");
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
        assert.ok(before.guarantees.some((g) => /S3 Object Lock COMPLIANCE, per tier: each dump object and its manifest carry their own retention in COMPLIANCE mode, retain-until = the dump's start \+ its tier's keepDays \(daily 14 days, weekly 90 days, monthly 400 days\)/.test(g)), before.guarantees.join("\n"));
        assert.ok(before.guarantees.some((g) => /Every other object \(table exports, the configuration record\) is locked by the bucket's default retention of 14 days, the floor/.test(g)));
        assert.deepEqual(after.keys.find((k) => k.path === "storage.objectLock.mode"), { path: "storage.objectLock.mode", value: "(not set)", origin: "default" });
        assert.ok(report.warnings.some((w) => /^warning: storage\.objectLock: \(missing\) is not set in prod/.test(w)), report.warnings.join("\n"));
        assert.match(renderMarkdown(report), /\| \[Immutability\]\(#immutability\) \| gap \| BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED, BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK \| S3\.14, S3\.15 \|/);
        assert.equal(report.retention.tiers.every((t) => t.lock === undefined), true);
    });

    it("GOVERNANCE Object Lock says privileged users can remove it early", () => {
        const raw = readStackFile(PROD);
        const storage = { ...(raw.values["storage"] as Record<string, unknown>), objectLock: { mode: "GOVERNANCE", days: 7 } };
        const c = control(reportOf(withSection(raw, "storage", storage)), "immutability");
        assert.ok(c.guarantees.some((g) => /S3 Object Lock GOVERNANCE, per tier: .*\(daily 14 days, weekly 90 days, monthly 400 days\); only principals allowed s3:BypassGovernanceRetention/.test(g)), c.guarantees.join("\n"));
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

    it("the Azure-only example reports its customer-managed key, per-tier locks, vaulted backups and geo-redundancy, and nothing of AWS", () => {
        // given the Azure-only example
        const report = reportOf(readStackFile(AZURE_EXAMPLE));
        const text = renderMarkdown(report);
        // then no S3, KMS or Lambda resource is claimed
        assert.doesNotMatch(text, /BackupBucket|BackupKey "backups"|SSE-KMS|S3 Object Lock COMPLIANCE/);
        // and the Azure controls are there with their keys
        const geo = control(report, "geo-redundancy");
        assert.ok(geo.guarantees.some((g) => /Azure server blog-db: backups also kept in the paired region/.test(g)));
        assert.ok(geo.guarantees.some((g) => /Azure file backups: Standard_RAGRS, copied to the paired region/.test(g)));
        assert.ok(geo.guarantees.some((g) => /Azure Backup vault: geo-redundant, with cross-region restore/.test(g)));
        const enc = control(report, "encryption-at-rest");
        assert.ok(enc.guarantees.some((g) => /customer-managed RSA 3072 key in Key Vault, rotated every 365 days/.test(g)), enc.guarantees.join("\n"));
        assert.ok(enc.guarantees.some((g) => /purge protection/.test(g)));
        assert.equal(enc.keys.find((k) => k.path === "azure.keyVault.keySize")?.origin, "default");
        const imm = control(report, "immutability");
        assert.ok(imm.guarantees.some((g) => /version-level immutability; each dump and its manifest carry their own locked retention policy until the dump's start \+ its tier's keepDays \(daily 30 days, weekly 90 days, monthly 365 days\)/.test(g)), imm.guarantees.join("\n"));
        assert.ok(imm.guarantees.some((g) => /Azure Backup vault: immutability Locked, soft delete AlwaysOn \(30 days\)/.test(g)));
        assert.equal(imm.status, "in place", imm.findings.join("\n"));
        const ret = control(report, "retention");
        assert.ok(ret.guarantees.some((g) => /^monthly: kept 365 days; Azure access tiers Hot day 0 -> Cool day 30 -> Cold day 60 -> Archive day 150 -> delete day 365\.$/.test(g)), ret.guarantees.join("\n"));
        assert.ok(ret.guarantees.some((g) => /Azure Backup vault: a full backup of each server every SUN at 02:00 UTC, kept 90 days; the first of each month 365 days; the first of each year 3650 days/.test(g)));
        assert.ok(control(report, "point-in-time-recovery").guarantees.some((g) => /blog-db \(Azure Flexible Server\): any second of the last 30 days; geo-restore/.test(g)));
        // and the timeline shows Blob access tiers, the per-blob lock and the one container, no S3 class or bucket
        const monthly = report.retention.tiers.find((t) => t.tier === "monthly");
        assert.deepEqual(monthly?.storageClasses.map((x) => [x.storageClass, x.fromDay, x.toDay]), [["Hot", 0, 30], ["Cool", 30, 60], ["Cold", 60, 150], ["Archive", 150, 365]]);
        assert.deepEqual(monthly?.lock, { kind: "azure-blob-immutability", locked: true, days: 365 });
        assert.deepEqual(monthly?.copies, ["backups container in eastus (Standard_RAGRS)"]);
        assert.equal(report.retention.bucketLockDays, undefined);
        // and the mappings name the Azure Policy definitions and benchmark controls
        assert.deepEqual(imm.mapping.azure?.azurePolicy.map((p) => p.id), ["2514263b-bc0d-4b06-ac3e-f262c0979018", "9798d31d-6028-4dee-8643-46102185c016"]);
        assert.deepEqual(enc.mapping.azure?.cloudSecurityBenchmark.map((p) => p.id), ["DP-5", "DP-6"]);
        assert.match(text, /Azure Policy: Storage accounts should use customer-managed key for encryption \(6fac406b-40ca-413b-bf8e-0bf964659c25\)/);
    });

    it("an Azure container policy left unlocked is a gap that names its key", () => {
        // given the Azure example with a container-level policy instead of per-blob locks
        const raw = readStackFile(AZURE_EXAMPLE);
        const azure = raw.values["azure"] as { storage: Record<string, unknown> };
        const report = reportOf(withSection(raw, "azure", { ...azure, storage: { ...azure.storage, versionLevelImmutability: false, tierLifecycle: undefined, immutabilityDays: 30 } }));
        const imm = control(report, "immutability");
        assert.ok(imm.guarantees.some((g) => /a time-based immutability policy of 30 days, created unlocked by the stack; locking it is a documented manual step/.test(g)), imm.guarantees.join("\n"));
        assert.equal(imm.status, "gap");
        assert.ok(imm.findings.some((f) => /the Azure immutability policy is unlocked/.test(f)));
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

describe("audit report: Azure-only stacks", () => {
    /** The Azure example with its azure section changed by `edit`. */
    function azureReport(edit: (azure: Record<string, unknown>) => Record<string, unknown>, storage?: Record<string, unknown>): AuditReport {
        const raw = readStackFile(AZURE_EXAMPLE);
        const withAzure = withSection(raw, "azure", edit({ ...(raw.values["azure"] as Record<string, unknown>) }));
        return reportOf(storage === undefined ? withAzure : withSection(withAzure, "storage", storage));
    }

    it("the timeline names the Azure per-blob immutability policy, locked for COMPLIANCE and unlocked for GOVERNANCE, never S3 Object Lock", () => {
        // given the Azure-only example (COMPLIANCE) and the same with GOVERNANCE
        const locked = reportOf(readStackFile(AZURE_EXAMPLE));
        const unlocked = azureReport((a) => a, { objectLock: { mode: "GOVERNANCE", days: 30 } });
        // then each tier carries an Azure lock, and every rendering names it
        assert.deepEqual(locked.retention.tiers.map((t) => t.lock), [
            { kind: "azure-blob-immutability", locked: true, days: 30 },
            { kind: "azure-blob-immutability", locked: true, days: 90 },
            { kind: "azure-blob-immutability", locked: true, days: 365 },
        ]);
        assert.equal(unlocked.retention.tiers[0]?.lock?.kind === "azure-blob-immutability" && unlocked.retention.tiers[0].lock.locked, false);
        const md = renderMarkdown(locked);
        assert.match(md, /^- daily: Hot day 0 -> expire day 30; locked per-blob immutability policy 30 days from the dump's start;/m);
        assert.match(renderMarkdown(unlocked), /^- daily: .*; unlocked per-blob immutability policy 30 days from the dump's start;/m);
        const svg = retentionSvg(locked.retention);
        assert.match(svg, /<rect class="lock" data-mode="locked"[^>]*><title>locked per-blob immutability policy: 365 days from the dump's start<\/title>/);
        for (const text of [md, svg, renderHtml(locked)]) assert.doesNotMatch(text, /Object Lock/);
        // and with a container-level policy instead, no tier claims a per-blob lock
        const none = azureReport((a) => ({ ...a, storage: { ...(a["storage"] as Record<string, unknown>), versionLevelImmutability: false, tierLifecycle: undefined, immutabilityDays: 30 } }));
        assert.deepEqual(none.retention.tiers.map((t) => t.lock), [undefined, undefined, undefined]);
        assert.match(renderMarkdown(none), /^- daily: .*; no per-blob immutability policy; copies:/m);
    });

    it("maps the controls of an Azure-only stack to Azure Policy and the cloud security benchmark only; an AWS stack to Audit Manager and Security Hub", () => {
        // given the Azure-only example and prod (AWS)
        const azure = reportOf(readStackFile(AZURE_EXAMPLE));
        const aws = reportOf(readStackFile(PROD));
        // then each control carries the vocabularies of its stack's clouds only
        assert.deepEqual(azure.clouds, ["azure"]);
        assert.deepEqual(aws.clouds, ["aws"]);
        for (const c of azure.controls) {
            assert.equal(c.mapping.aws, undefined, c.id);
            assert.ok(c.mapping.azure !== undefined && c.mapping.azure.cloudSecurityBenchmark.length > 0, c.id);
        }
        for (const c of aws.controls) {
            assert.equal(c.mapping.azure, undefined, c.id);
            assert.ok(c.mapping.aws !== undefined, c.id);
        }
        // and no rendering of the Azure-only report names an AWS vocabulary
        for (const text of [renderMarkdown(azure), renderHtml(azure)]) {
            assert.doesNotMatch(text, /Security Hub|Audit Manager|RDS\.11|S3\.15/);
            assert.match(text, /Cloud security benchmark/);
        }
        assert.match(renderMarkdown(azure), /^\| \[Immutability\]\(#immutability\) \| in place \| 2 definition\(s\) \| BR-2 \|$/m);
        assert.doesNotMatch(renderMarkdown(aws), /Azure Policy|cloud security benchmark/i);
    });

    it("with azure.runner, verification names the verify job of ContainerJobs, its scratch restore, the server-backup check with Reader, and its alerts", () => {
        // given the Azure-only example, whose runner verifies blog-db
        const report = reportOf(readStackFile(AZURE_EXAMPLE));
        const v = control(report, "verification");
        // then the server's own backups are said to be checked, by whom and with which role
        const statement = v.guarantees.find((g) => g.startsWith("Azure server blog-db:"));
        assert.equal(
            statement,
            'Azure server blog-db: the verify job of ContainerJobs "azure-runner" (0 4 * * *, cron in UTC) restores the newest dump of blog into a scratch database and checks its age (under 30 h), SHA-256, size and row counts; it also checks the server\'s own automated backups (the newest snapshot\'s age and the point-in-time restore window) through Azure Resource Manager (AZURE_SERVERS), as the runner\'s managed identity, which holds Reader on the resource group blog-rg.',
        );
        assert.ok(v.resources.includes('ContainerJobs "azure-runner": verify job per target with Reader on the resource group; failed-job, missing-success and failed-execution alerts'), v.resources.join("\n"));
        assert.ok(v.guarantees.some((g) => /^Azure runner alerts: failed job .*, missing success \(no successful dump or verify within 30 h\), failed execution/.test(g)));
        // and no CloudWatch alarm is claimed on a stack without AWS functions
        assert.ok(!v.guarantees.some((g) => /CloudWatch/.test(g)), v.guarantees.join("\n"));
        const rt = control(report, "restore-testing");
        assert.equal(rt.status, "in place", rt.findings.join("\n"));
        assert.ok(rt.resources.includes('ContainerJobs "azure-runner": verify job per target'));
        assert.equal(report.summary.find((s) => s.question === "Restore testing")?.answer, "Azure: blog-db restored and row-counted by the verify job (0 4 * * *, cron in UTC)");
    });

    it("without azure.runner, the Azure server's backups stay unchecked and nothing restores on a schedule", () => {
        // given the Azure example without its runner
        const report = azureReport((a) => ({ ...a, runner: undefined }));
        // then the gap is kept, and no ContainerJobs is named anywhere
        const v = control(report, "verification");
        assert.ok(v.guarantees.includes("Azure server blog-db: the age of its automated backups is not checked by the stack (no verification runs for Azure servers); the service takes and keeps them."));
        const rt = control(report, "restore-testing");
        assert.equal(rt.status, "gap");
        assert.ok(rt.findings.some((f) => /no Azure runner/.test(f)));
        assert.doesNotMatch(renderMarkdown(report), /ContainerJobs|missing-backup alert|missing success/);
    });

    it("the runner's missing-backup and failed-job alerts are the RPO and alerting controls' Azure counterparts, with azure.runner.maxBackupAgeHours", () => {
        // given the Azure example with a 36-hour allowed backup age
        const report = azureReport((a) => ({ ...a, runner: { ...(a["runner"] as Record<string, unknown>), maxBackupAgeHours: 36 } }));
        // then the RPO control names the alert, its hours and key, and no CloudWatch alarm
        const rpo = control(report, "rpo");
        assert.ok(rpo.guarantees.some((g) => /^Azure: blog-db \(database blog\) dumped by a Container Apps job \(0 2 \* \* \*, cron in UTC\); a target without a successful dump within 36 h raises the missing-backup alert, and a failed dump run the failed-job alert at once/.test(g)), rpo.guarantees.join("\n"));
        assert.ok(!rpo.guarantees.some((g) => /backup-age \/ backup-missing alarm/.test(g)));
        assert.deepEqual(rpo.keys.find((k) => k.path === "azure.runner.maxBackupAgeHours"), { path: "azure.runner.maxBackupAgeHours", value: "36", origin: "set" });
        assert.ok(rpo.resources.includes('ContainerJobs "azure-runner": dump job per target; missing-backup and failed-job alerts'));
        // and the alerting control lists the three alerts of the runner
        const alerting = control(report, "alerting");
        assert.ok(alerting.guarantees.some((g) => /^Azure runner, the counterparts of the CloudWatch alarms, log search alerts to the same action group: failed job .*missing success \(no successful dump or verify within 36 h\), failed execution/.test(g)), alerting.guarantees.join("\n"));
        assert.ok(alerting.resources.includes('ContainerJobs "azure-runner": failed-job, missing-success and failed-execution alerts'));
        // and the default applies when the file does not set it
        const byDefault = control(reportOf(readStackFile(AZURE_EXAMPLE)), "rpo").keys.find((k) => k.path === "azure.runner.maxBackupAgeHours");
        assert.deepEqual(byDefault, { path: "azure.runner.maxBackupAgeHours", value: "30", origin: "default" });
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
        assert.ok(flagged.findings.some((f) => /restore of orders took 3725\.4 s, over the RTO of 3600 s/.test(f)), flagged.findings.join("\n"));
        assert.deepEqual(flagged.evidence, ["drill restore of orders: 3725.4 s against the RTO of 1 h (103 %)"]);
        assert.equal(fine.status, "in place");
        assert.deepEqual(fine.evidence, ["drill restore of orders: 42.5 s against the RTO of 1 h (1 %)"]);
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
        assert.ok(control(report, "restore-testing").findings.includes("the drill check restore.rowCounts failed: 1 table(s) differ: public.orders 9 vs 10"));
        assert.match(renderMarkdown(report), /drill result from `drill\.json` \(no date; stack not stated; database\(s\) orders\): FAILED, 1 of 2 checks passed\./);
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
        assert.deepEqual(evidence.restores, [{ database: "orders", seconds: 42.5 }]);
        assert.throws(() => parseEvidence("drill passed\n", "x.txt"), (e: unknown) => e instanceof EvidenceError && /x\.txt: no JSON object found/.test(e.message));
        assert.throws(() => parseEvidence('{"hello": 1}', "x.json"), (e: unknown) => e instanceof EvidenceError && /x\.json: a JSON object without "checks"/.test(e.message));
        assert.throws(
            () => parseEvidence('{"checks": [{"name": 1}], "rtoSeconds": 60}', "x.json"),
            (e: unknown) => e instanceof EvidenceError && /x\.json: checks\[0\] needs "name" \(string\) and "ok" \(boolean\)/.test(e.message),
        );
    });
});

describe("audit report: evidence identity and failures", () => {
    it("refuses a drill of another database (sample on localhost) under prod, naming both", () => {
        // given a drill of the local sample database and a verify report naming another stack
        const config = validateConfig(readStackFile(PROD)).config;
        assert.ok(config !== undefined);
        const sample = parseEvidence(JSON.stringify(drillSummary({ database: "sample" })), "drill.json");
        const staging = parseEvidence(JSON.stringify({ ...drillSummary({}), stack: "staging" }), "drill.json");
        // when checked against prod, then both are refused with both identities in the message
        assert.throws(
            () => checkEvidenceIdentity(sample, config),
            (e: unknown) => e instanceof EvidenceError && /drill\.json: refused: the evidence is a drill of database\(s\) sample, but this report is for stack prod with database\(s\) orders/.test(e.message),
        );
        assert.throws(() => checkEvidenceIdentity(staging, config), (e: unknown) => e instanceof EvidenceError && /drill of database\(s\) orders in stack staging, but this report is for stack prod/.test(e.message));
        assert.doesNotThrow(() => checkEvidenceIdentity(parseEvidence(JSON.stringify({ ...drillSummary({}), stack: "prod" }), "drill.json"), config));
    });

    it("a failed check fails every control it bears on, not only one", () => {
        // given a verify report whose freshness, checksum and rto checks failed
        const verify = {
            ok: false,
            startedAt: "2026-03-10T04:30:00.000Z",
            finishedAt: "2026-03-10T04:40:00.000Z",
            targets: [
                {
                    name: "orders",
                    checks: [
                        { name: "freshness", ok: false, detail: "newest backup is 3 h old; RPO 1 h" },
                        { name: "checksum", ok: false, detail: "sha256 differs" },
                        { name: "rto", ok: false, detail: "restore took 4000 s" },
                    ],
                },
            ],
        };
        // when reported
        const report = reportOf(readStackFile(PROD), parseEvidence(JSON.stringify(verify), "verify.json"));
        // then each control the checks bear on is flagged, with the check named
        const flagged = report.controls.filter((c) => c.status === "flagged").map((c) => c.id);
        assert.deepEqual(flagged, ["rpo", "rto", "restore-testing", "verification"]);
        assert.ok(control(report, "rpo").findings.includes("the verify check orders/freshness failed: newest backup is 3 h old; RPO 1 h"));
        assert.ok(control(report, "verification").findings.includes("the verify check orders/checksum failed: sha256 differs"));
        assert.equal(report.summary.find((l) => l.question === "RPO")?.status, "flagged");
    });

    it("dates the evidence: its run time, else when its file was written", () => {
        const drill = parseEvidence(JSON.stringify(drillSummary({})), "drill.json", { writtenAt: "2026-03-10T11:59:00.000Z" });
        assert.match(renderMarkdown(reportOf(readStackFile(PROD), drill)), /drill result from `drill\.json` \(no run time in it; file written 2026-03-10T11:59:00\.000Z; stack not stated; database\(s\) orders\): passed/);
    });
});

describe("audit report: dated, mapped, in words and with a picture", () => {
    it("states when it was made, from which stack file bytes and commit", () => {
        const md = renderMarkdown(reportOf(readStackFile(PROD)));
        assert.match(md, new RegExp(`^Generated 2026-03-10T12:00:00\\.000Z from \`.*Pulumi\\.prod\\.yaml\` \\(SHA-256 \`${"0".repeat(64)}\`, git commit \`${"a".repeat(40)}\`\\)`, "m"));
    });

    it("writes schedules in words", () => {
        const cases: readonly [string, string][] = [
            ["cron(0 3 * * ? *)", "every day at 03:00 UTC"],
            ["cron(5 * * * ? *)", "every hour at :05"],
            ["rate(15 minutes)", "every 15 minutes"],
            ["cron(0/15 * * * ? *)", "every 15 minutes"],
            ["rate(1 hour)", "every hour"],
            ["rate(2 days)", "every 2 days"],
            ["cron(0 6 ? * SAT *)", "every Saturday at 06:00 UTC"],
            ["cron(0 2 1 * ? *)", "on day 1 of every month at 02:00 UTC"],
            ["cron(0 0,12 * * ? *)", "every day at 00:00 and 12:00 UTC"],
            ["cron(0 2 L * ? *)", "cron(0 2 L * ? *)"],
        ];
        for (const [expression, words] of cases) assert.equal(scheduleInWords(expression), words, expression);
        const md = renderMarkdown(reportOf(readStackFile(PROD)));
        assert.match(md, /Logical dumps run every hour at :05, at most 1 h apart\./);
        assert.match(md, /\| `schedules\.dump` \| cron\(5 \* \* \* \? \*\) \(every hour at :05\) \| set \|/);
        assert.deepEqual(md.split("\n").filter((line) => line.startsWith("- ") && line.includes("cron(")), []);
    });

    it("maps each control to AWS Backup Audit Manager, Security Hub and the checklists", () => {
        const report = reportOf(readStackFile(PROD));
        const m = (id: ControlId): AuditReport["controls"][number]["mapping"] => control(report, id).mapping;
        assert.deepEqual(m("rto").aws?.auditManager, ["RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"]);
        assert.deepEqual(m("geo-redundancy").aws?.auditManager, ["BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"]);
        assert.deepEqual(m("point-in-time-recovery").aws?.securityHub.map((x) => x.id), ["RDS.11", "RDS.26"]);
        assert.deepEqual(m("immutability").aws?.securityHub.map((x) => x.id), ["S3.14", "S3.15"]);
        assert.ok(m("restore-testing").checklist.some((item) => /monthly test restore/.test(item)));
        assert.ok(m("restore-testing").checklist.some((item) => /critical tables/.test(item)));
        assert.ok(m("verification").checklist.some((item) => /checksum/.test(item)));
        assert.ok(m("verification").checklist.some((item) => /size/.test(item)));
        // and the framework the stack deploys is named with where its reports go
        assert.equal(report.auditManager?.frameworkName, "pg_backup_stack_prod");
        assert.equal(report.auditManager?.reportPlanName, "pg_backup_stack_prod_controls");
        assert.match(report.auditManager?.delivery ?? "", /audit-reports\/Backup\/eu-west-1\//);
        assert.ok(report.auditManager?.controls.includes("RESTORE_TIME_FOR_RESOURCES_MEET_TARGET (maxRestoreTime=60)"));
        assert.match(renderMarkdown(report), /Framework `pg_backup_stack_prod` and report plan `pg_backup_stack_prod_controls` in eu-west-1/);
    });

    it("draws the retention timeline per tier: storage classes, lock, copies, point-in-time window", () => {
        const report = reportOf(readStackFile(PROD));
        const monthly = report.retention.tiers.find((t) => t.tier === "monthly");
        assert.deepEqual(monthly?.storageClasses.map((x) => `${x.storageClass} ${x.fromDay}-${x.toDay}`), [
            "Standard 0-30",
            "Standard-IA 30-60",
            "Glacier Flexible Retrieval 60-150",
            "Deep Archive 150-400",
        ]);
        assert.deepEqual(monthly?.lock, { kind: "s3-object-lock", mode: "COMPLIANCE", days: 400 });
        assert.deepEqual(monthly?.copies, ["backup bucket in eu-west-1", "replica bucket in eu-central-1"]);
        assert.deepEqual(report.retention.pointInTime, [{ database: "orders", days: 14, drDays: 7 }]);
        assert.equal(report.retention.bucketLockDays, 14);
        const html = renderHtml(report);
        assert.equal((html.match(/<g class="tier" data-tier="/g) ?? []).length, 3);
        // and the picture docs/report.md shows is the one prod's report draws
        assert.equal(fs.readFileSync(path.join(ROOT, "docs", "audit-retention-timeline.svg"), "utf8"), retentionSvg(report.retention));
        assert.match(html, /<section class="summary"/);
    });
});

describe("report command", () => {
    it("prints the same Markdown every time for the same inputs, and JSON with --format json", async () => {
        // given the prod stack
        // when reported twice, and as JSON
        const a = await run([PROD]);
        const b = await run([PROD]);
        const j = await run(["--format", "json", PROD]);
        // then the outputs match byte for byte, dated with the generation time and the stack file's hash
        assert.equal(a.code, 0, a.err);
        assert.equal(a.out, b.out);
        const parsed = JSON.parse(j.out) as AuditReport;
        assert.equal(parsed.controls.length, 12);
        assert.equal(parsed.environment, "prod");
        assert.equal(parsed.provenance.generatedAt, NOW.toISOString());
        assert.equal(parsed.provenance.stackFileSha256, createHash("sha256").update(fs.readFileSync(PROD)).digest("hex"));
        assert.match(parsed.provenance.gitCommit ?? "", /^[0-9a-f]{40}$/);
        assert.match(a.out, /^Generated 2026-03-10T12:00:00\.000Z from /m);
    });

    it("writes --out with the HTML report and picture beside the Markdown; failed evidence exits 3", async () => {
        // given a drill result over the RTO in a file
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
        try {
            const evidence = path.join(dir, "drill.json");
            fs.writeFileSync(evidence, `${JSON.stringify(drillSummary({ restoreSeconds: 4000 }))}\n`);
            const out = path.join(dir, "report.md");
            // when written to a file
            const r = await run([PROD, "--evidence", evidence, "--out", out]);
            // then the file holds the flagged RTO, links its HTML and picture, and the exit code says the evidence failed
            assert.equal(r.code, 3, r.err);
            assert.equal(r.out, "");
            const md = fs.readFileSync(out, "utf8");
            assert.match(md, /## Recovery time objective \(RTO\)\n\nStatus: \*\*flagged\*\*/);
            assert.match(md, /!\[Retention timeline\]\(report-retention\.svg\)/);
            assert.match(md, /\[report\.html\]\(report\.html\)/);
            assert.match(fs.readFileSync(path.join(dir, "report-retention.svg"), "utf8"), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
            assert.match(fs.readFileSync(path.join(dir, "report.html"), "utf8"), /<svg xmlns=/);
            assert.match(r.err, /wrote .*report\.md, .*report\.html, .*report-retention\.svg: 12 controls, Recovery time objective \(RTO\) flagged/);
            assert.match(r.err, /the drill evidence failed: Recovery time objective \(RTO\); exit 3/);
            // and evidence of another database is refused with exit 1, naming both
            fs.writeFileSync(evidence, `${JSON.stringify(drillSummary({ database: "sample" }))}\n`);
            const foreign = await run([PROD, "--evidence", evidence]);
            assert.equal(foreign.code, 1);
            assert.equal(foreign.out, "");
            assert.match(foreign.err, /refused: the evidence is a drill of database\(s\) sample, but this report is for stack prod with database\(s\) orders/);
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
            assert.match(r.err, /retention\.monthly\.glacierAfterDays: 45 is too early; it must be at least 60: 30 days after standardIaAfterDays \(30\), the shortest an object may stay in Standard-IA$/m);
            assert.equal(fs.existsSync(out), false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses bad arguments with exit 2, naming the argument, the value and what is allowed", async () => {
        const cases: readonly [string[], RegExp][] = [
            [[PROD, "--format", "pdf"], /^--format: "pdf" is not allowed; expected md, json or html/],
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
