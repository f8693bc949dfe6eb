import { randomBytes } from "node:crypto";
import { listBackups, type BackupEntry, type Catalog } from "../shared/catalog";
import { describeLocale } from "../shared/databaseLocale";
import { checkIdentifier, describeTarget, withDatabase } from "../shared/pgTarget";
import type { Log, MetricSink, MetricUnit } from "../shared/ports";
import { storageOf, type StorageDep } from "../shared/storage/s3";
import { verifyAzureServer, type FlexibleServerBackupLister } from "./azure";
import { formatDuration, freshnessCheck, manifestsCheck, sizeCheck } from "./checks";
import { VerifyConfigError } from "./errors";
import { validateVerifyConfig } from "./settings";
import type { CheckName, CheckResult, TargetVerification, VerifyConfig, VerifyReport } from "./types";
import { checkRestorePreconditions, resolveJobs, restoreDownloaded, type RestoredDatabase } from "../shared/restore";
import { type RestoreOptions } from "../shared/restoreOptions";
import { downloadBackup, withTempDir, type DownloadedBackup } from "../shared/restoreDownload";
import { ChecksumMismatchError, ArchiveHeaderError, BackupFileMissingError } from "../shared/restoreErrors";
import { databaseExistsOn, describeCounts, dropDatabase } from "../shared/restoreTarget";

export type { CheckName, CheckResult, TargetVerification, VerifyConfig, VerifyReport } from "./types";

/**
 * The verify function's core: proves, per database, that the newest backup is recent, intact,
 * plausibly sized, restorable within the RTO, and complete (row counts), and that Azure Flexible
 * Server backups are recent. Every outcome is returned as a check and published as a metric.
 * The pure checks are in checks.ts, the settings and their validation in settings.ts.
 */

/** The backup storage (or an S3 client for config.bucket) and the rest of what the checks use. */
export type VerifyDeps = StorageDep & VerifyServices;

export interface VerifyServices {
    readonly log: Log;
    readonly metrics: MetricSink;
    /** Needed when azureServers are configured. */
    readonly azure?: FlexibleServerBackupLister;
    /** @default () => new Date() */
    readonly now?: () => Date;
    readonly signal?: AbortSignal;
    /** Milliseconds left before the function's deadline (Lambda: context.getRemainingTimeInMillis). @default no deadline */
    readonly remainingMs?: () => number;
}

/** Verifies every configured database and Azure server; never throws for a failed check, only reports it. */
export async function runVerify(config: VerifyConfig, deps: VerifyDeps): Promise<VerifyReport> {
    validateVerifyConfig(config);
    if ((config.azureServers ?? []).length > 0 && deps.azure === undefined) {
        throw new VerifyConfigError("azureServers are configured but no Azure client was given");
    }
    const now = deps.now ?? ((): Date => new Date());
    const startedAt = now().toISOString();
    const targets: TargetVerification[] = [];
    for (const database of config.databases) {
        let result: TargetVerification;
        try {
            result = await verifyDatabase(config, deps, database, now);
        } catch (err) {
            result = { name: database, kind: "dump", ok: false, checks: [{ name: "restore", ok: false, skipped: false, detail: `verification stopped: ${messageOf(err)}` }] };
        }
        publish(deps.metrics, result);
        targets.push(result);
    }
    for (const server of config.azureServers ?? []) {
        const result = await verifyAzureServer(server, deps.azure as FlexibleServerBackupLister, now);
        publish(deps.metrics, result);
        targets.push(result);
    }
    for (const t of targets) {
        deps.log[t.ok ? "info" : "error"](`verification ${t.ok ? "passed" : "failed"}`, {
            target: t.name,
            kind: t.kind,
            failed: t.checks.filter((c) => !c.ok && !c.skipped).map((c) => `${c.name}: ${c.detail}`),
        });
    }
    return { ok: targets.every((t) => t.ok), startedAt, finishedAt: now().toISOString(), targets };
}

async function verifyDatabase(config: VerifyConfig, deps: VerifyDeps, database: string, now: () => Date): Promise<TargetVerification> {
    const { log } = deps;
    const checks = new CheckList();
    const storage = storageOf(deps, config.bucket, undefined);
    let catalog: Catalog;
    try {
        catalog = await listBackups(storage, { prefix: config.prefix, database });
    } catch (err) {
        checks.fail("manifests", `cannot list ${storage.location}: ${messageOf(err)}`);
        checks.skipRest(["freshness", "size", "checksum", "restore", "rowCounts", "rto", "cleanup"], "the bucket could not be listed");
        return finish(database, checks);
    }
    for (const key of catalog.withoutManifest) {
        log.warn("dump object without a manifest ignored (not a backup)", { database, key });
    }
    const manifests = manifestsCheck(catalog);
    checks.add(manifests);

    const newest = catalog.backups[0];
    if (newest === undefined) {
        checks.fail("freshness", `no backup with a manifest under ${storage.describe(`${config.prefix}/${database}/`)}`);
        checks.skipRest(["size", "checksum", "restore", "rowCounts", "rto", "cleanup"], "there is no backup");
        return finish(database, checks);
    }
    log.info("verifying backup", { database, key: newest.manifest.key, startedAt: newest.manifest.startedAt, sizeBytes: newest.manifest.sizeBytes });
    checks.add(freshnessCheck(newest.manifest.key, newest.manifest.startedAt, now(), config.maxBackupAgeSeconds));
    const size = sizeCheck(
        newest.manifest.sizeBytes,
        catalog.backups.slice(1, 1 + config.size.window).map((b) => b.manifest.sizeBytes),
        config.size,
    );
    checks.add({ name: "size", ok: size.ok, skipped: false, detail: size.detail, ...(size.ratio === undefined ? {} : { value: size.ratio, unit: "None" as const }) });

    const restored = await restoreIntoScratch(config, deps, database, newest, now, checks);
    return { ...finish(database, checks), backup: newest, ...restored };
}

interface ScratchOutcome {
    readonly scratchDatabase?: string;
    readonly restore?: RestoredDatabase & { readonly seconds: number };
    readonly download?: Omit<DownloadedBackup, "path">;
}

async function restoreIntoScratch(config: VerifyConfig, deps: VerifyDeps, database: string, backup: BackupEntry, now: () => Date, checks: CheckList): Promise<ScratchOutcome> {
    const scratch = scratchDatabaseName(database, now(), randomBytes(3).toString("hex"));
    const timeoutMs = restoreTimeout(config, deps);
    if (timeoutMs !== undefined && timeoutMs <= 0) {
        checks.skipRest(["checksum", "restore", "rowCounts", "rto", "cleanup"], `too little time left before the deadline (safety margin ${config.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS} ms)`);
        return {};
    }
    const options: RestoreOptions = {
        storage: storageOf(deps, config.bucket, undefined),
        manifest: backup.manifest,
        target: withDatabase(config.verificationServer, scratch),
        maintenanceDatabase: config.verificationServer.database,
        overwrite: false,
        noOwner: true,
        noPrivileges: true,
        dropOnFailure: false,
        log: deps.log,
        ...(config.jobs === undefined ? {} : { jobs: config.jobs }),
        ...(config.binDir === undefined ? {} : { binDir: config.binDir }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    };
    const jobs = resolveJobs(config.jobs);
    const started = performance.now();
    let outcome: ScratchOutcome = { scratchDatabase: scratch };
    let mayHaveCreated = false;
    try {
        await withTempDir(config.tempDir, async (dir) => {
            let downloaded: DownloadedBackup;
            try {
                downloaded = await downloadBackup(options, dir);
            } catch (err) {
                checks.fail("checksum", messageOf(err));
                const why = err instanceof ChecksumMismatchError || err instanceof ArchiveHeaderError || err instanceof BackupFileMissingError ? "the checksum check failed" : "the download failed";
                checks.skipRest(["restore", "rowCounts", "rto", "cleanup"], why);
                return;
            }
            const files = backup.manifest.files;
            checks.pass(
                "checksum",
                files === undefined
                    ? `sha256 ${downloaded.sha256} and ${downloaded.sizeBytes} bytes match the manifest`
                    : `all ${files.length} files (${downloaded.sizeBytes} bytes) match the manifest's sizes and SHA-256s`,
            );
            outcome = { ...outcome, download: { sizeBytes: downloaded.sizeBytes, sha256: downloaded.sha256, seconds: downloaded.seconds } };
            let restored: RestoredDatabase;
            try {
                const preflight = await checkRestorePreconditions(options);
                mayHaveCreated = true;
                restored = await restoreDownloaded(options, preflight, downloaded, jobs);
            } catch (err) {
                checks.fail("restore", `into ${describeTarget(options.target)}: ${messageOf(err)}`);
                checks.skipRest(["rowCounts", "rto"], "the restore failed");
                return;
            }
            const seconds = (performance.now() - started) / 1000 - restored.countSeconds;
            outcome = { ...outcome, restore: { ...restored, seconds } };
            checks.pass("restore", `restored into ${describeTarget(options.target)} (${describeLocale(restored.locale)}) with ${jobs} job(s) in ${formatDuration(restored.pgRestoreSeconds)}${notAppliedProperties(restored)}`, restored.pgRestoreSeconds, "Seconds");
            const mismatched = restored.tables.filter((t) => !t.ok).length + (restored.largeObjects?.ok === false ? 1 : 0);
            checks.add({
                name: "rowCounts",
                ok: mismatched === 0,
                skipped: false,
                detail: describeCounts(restored.tables, restored.largeObjects),
                value: mismatched,
                unit: "Count",
            });
            checks.add({
                name: "rto",
                ok: seconds <= config.rtoSeconds,
                skipped: false,
                detail: `download and restore took ${formatDuration(seconds)}; RTO ${formatDuration(config.rtoSeconds)}`,
                value: seconds,
                unit: "Seconds",
            });
        });
    } finally {
        if (mayHaveCreated) {
            checks.add(await dropScratch(options, scratch, deps.log));
        } else if (!checks.has("cleanup")) {
            checks.skipRest(["cleanup"], "no scratch database was created");
        }
    }
    return outcome;
}

const DEFAULT_SAFETY_MARGIN_MS = 60_000;

/** The tighter of the configured limit and the time left before the deadline minus the safety margin. */
function restoreTimeout(config: VerifyConfig, deps: VerifyDeps): number | undefined {
    const fromDeadline = deps.remainingMs === undefined ? undefined : deps.remainingMs() - (config.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS);
    if (fromDeadline === undefined) {
        return config.restoreTimeoutMs;
    }
    return config.restoreTimeoutMs === undefined ? fromDeadline : Math.min(config.restoreTimeoutMs, fromDeadline);
}

async function dropScratch(options: RestoreOptions, scratch: string, log: Log): Promise<CheckResult> {
    try {
        await dropDatabase(options, scratch);
        if (await databaseExistsOn(options, scratch)) {
            return { name: "cleanup", ok: false, skipped: false, detail: `scratch database ${scratch} still exists after DROP DATABASE` };
        }
        log.info("scratch database dropped", { database: scratch });
        return { name: "cleanup", ok: true, skipped: false, detail: `scratch database ${scratch} dropped` };
    } catch (err) {
        return { name: "cleanup", ok: false, skipped: false, detail: `could not drop scratch database ${scratch}: ${messageOf(err)}` };
    }
}

/**
 * `verify_<db>_<YYYYMMDDHHMMSS>_<random>`: unique per run, recognisable as ours, lower case so it
 * needs no quoting in psql, and within PostgreSQL's 63-byte identifier limit.
 */
export function scratchDatabaseName(database: string, at: Date, random: string): string {
    const safe = database.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 24);
    const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const name = `verify_${safe}_${stamp}_${random.toLowerCase().replace(/[^a-z0-9]/g, "")}`;
    checkIdentifier(name, "scratch database");
    return name;
}

/**
 * Metrics, all with dimension Database: VerificationSucceeded / VerificationFailed (1 or 0),
 * VerificationCheckFailed per check (extra dimension Check), and the measured values
 * BackupAgeSeconds, BackupSizeRatio, RestoreSeconds, RestoreWithinRto, CatalogProblems.
 */
export function publish(metrics: MetricSink, result: TargetVerification): void {
    const dims = { Database: result.name };
    metrics.add("VerificationSucceeded", "Count", result.ok ? 1 : 0, dims);
    metrics.add("VerificationFailed", "Count", result.ok ? 0 : 1, dims);
    for (const check of result.checks) {
        if (!check.skipped) {
            metrics.add("VerificationCheckFailed", "Count", check.ok ? 0 : 1, { ...dims, Check: check.name });
        }
    }
    const value = (name: CheckName): number | undefined => result.checks.find((c) => c.name === name && !c.skipped)?.value;
    const age = value("freshness") ?? value("azureFreshness");
    if (age !== undefined) {
        metrics.add("BackupAgeSeconds", "Seconds", age, dims);
    }
    const ratio = value("size");
    if (ratio !== undefined) {
        metrics.add("BackupSizeRatio", "None", ratio, dims);
    }
    const problems = value("manifests");
    if (problems !== undefined) {
        metrics.add("CatalogProblems", "Count", problems, dims);
    }
    const rto = result.checks.find((c) => c.name === "rto" && !c.skipped);
    if (rto?.value !== undefined) {
        metrics.add("RestoreSeconds", "Seconds", rto.value, dims);
        metrics.add("RestoreWithinRto", "Count", rto.ok ? 1 : 0, dims);
    }
}

class CheckList {
    private readonly checks: CheckResult[] = [];

    add(check: CheckResult): void {
        this.checks.push(check);
    }

    pass(name: CheckName, detail: string, value?: number, unit?: MetricUnit): void {
        this.checks.push({ name, ok: true, skipped: false, detail, ...(value === undefined ? {} : { value }), ...(unit === undefined ? {} : { unit }) });
    }

    fail(name: CheckName, detail: string): void {
        this.checks.push({ name, ok: false, skipped: false, detail });
    }

    skipRest(names: readonly CheckName[], why: string): void {
        for (const name of names) {
            this.checks.push({ name, ok: false, skipped: true, detail: `not run: ${why}` });
        }
    }

    has(name: CheckName): boolean {
        return this.checks.some((c) => c.name === name);
    }

    ok(): boolean {
        return this.checks.length > 0 && this.checks.every((c) => c.ok);
    }

    all(): readonly CheckResult[] {
        return [...this.checks];
    }
}

function finish(database: string, checks: CheckList): TargetVerification {
    return { name: database, kind: "dump", ok: checks.ok(), checks: checks.all() };
}

/** The source database's properties the scratch database did not get, if any (a restore is still a restore without them). */
function notAppliedProperties(restored: RestoredDatabase): string {
    const n = restored.properties.notApplied.length;
    return n === 0 ? "" : `; ${n} of the source database's own properties not carried over: ${restored.properties.notApplied.slice(0, 3).join("; ")}`;
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
