import type { TokenCredential } from "@azure/identity";
import type { AzureServerTarget, CheckResult, TargetVerification } from "./types";
import { FUTURE_START_TOLERANCE_SECONDS, formatDuration } from "./checks";
import { VerifyConfigError } from "./errors";

/**
 * The Azure part of verify: are a Flexible Server's automated backups still being taken, and
 * does its point-in-time restore window cover the retention it was given?
 *
 * What Azure does, per "Backup and restore in Azure Database for PostgreSQL - Flexible Server"
 * (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore,
 * consulted 2026-11-30): snapshot backups are taken once a day; when no database has been
 * modified since the last snapshot, snapshots are suspended until the next modification, which
 * is snapshotted at once; transaction logs are archived continuously (that, not the snapshot
 * age, carries the 5-minute RPO, and Azure exposes no log backup to check); backups are kept
 * for stopped servers. So the newest snapshot is held to about a day, not to the RPO.
 */

/** A day (Azure's snapshot interval) plus 6 hours of slack for the snapshot's own run time and scheduling. */
export const DEFAULT_MAX_SNAPSHOT_AGE_SECONDS = 30 * 3600;

/** Slack on the restore window: its start moves forward a snapshot (about a day) at a time. */
const WINDOW_SLACK_SECONDS = 24 * 3600;

const DAY_SECONDS = 24 * 3600;

/** Server states in which Azure takes no snapshot and keeps the existing backups. */
export const STOPPED_STATES: readonly string[] = ["Stopped", "Stopping", "Disabled"];

/** A backup as `backupsAutomaticAndOnDemand.listByServer` reports it. */
export interface AzureBackup {
    readonly name?: string;
    /** "Full" (automatic) or "Customer On-Demand". */
    readonly backupType?: string;
    readonly completedTime?: Date;
}

/** What `servers.get` reports of a server that the check needs. */
export interface AzureServerStatus {
    readonly state?: string;
    readonly backup?: { readonly backupRetentionDays?: number; readonly earliestRestoreDate?: Date };
    readonly systemData?: { readonly createdAt?: Date };
}

/** The two Azure calls verify makes, shaped like `PostgreSQLManagementFlexibleServerClient`. */
export interface FlexibleServerBackupLister {
    readonly backupsAutomaticAndOnDemand: {
        listByServer(resourceGroupName: string, serverName: string): AsyncIterable<AzureBackup>;
    };
    readonly servers: {
        get(resourceGroupName: string, serverName: string): Promise<AzureServerStatus>;
    };
}

/**
 * The Azure Resource Manager client of the check, authenticated as `credential` (on Azure the
 * job's managed identity, lambdas/shared/azureIdentity.ts). Both calls are reads of
 * Microsoft.DBforPostgreSQL/flexibleServers and its backups, which the built-in Reader role
 * grants ("Azure built-in roles", Reader: `*\/read`,
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader);
 * assigned on each server's resource group, it reaches nothing else.
 */
export async function flexibleServerClient(subscriptionId: string, credential: TokenCredential): Promise<FlexibleServerBackupLister> {
    const { PostgreSQLManagementFlexibleServerClient } = await import("@azure/arm-postgresql-flexible");
    return new PostgreSQLManagementFlexibleServerClient(credential, subscriptionId);
}

/** Refuses an Azure server list verify cannot use, naming the field. */
export function validateAzureServers(servers: readonly AzureServerTarget[]): void {
    for (const [i, server] of servers.entries()) {
        for (const field of ["name", "resourceGroup", "serverName"] as const) {
            if (server[field].trim() === "") {
                throw new VerifyConfigError(`azureServers[${i}].${field}: "${server[field]}" is not allowed; expected a non-empty name`);
            }
        }
        const limit = server.maxSnapshotAgeSeconds;
        if (limit !== undefined && !(Number.isFinite(limit) && limit >= DAY_SECONDS)) {
            throw new VerifyConfigError(
                `azureServers[${i}].maxSnapshotAgeSeconds: ${limit} is out of range; expected at least ${DAY_SECONDS} (Azure takes one snapshot a day)`,
            );
        }
    }
}

const MAX_AZURE_BACKUPS = 10_000;

/** Lists the server's backups and reads its state; never throws, a failed call is a failed check. */
export async function verifyAzureServer(server: AzureServerTarget, azure: FlexibleServerBackupLister, now: () => Date): Promise<TargetVerification> {
    let check: CheckResult;
    try {
        const status = await azure.servers.get(server.resourceGroup, server.serverName);
        const backups: AzureBackup[] = [];
        for await (const backup of azure.backupsAutomaticAndOnDemand.listByServer(server.resourceGroup, server.serverName)) {
            backups.push(backup);
            if (backups.length >= MAX_AZURE_BACKUPS) {
                break;
            }
        }
        check = azureBackupCheck(server, status, backups, now());
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        check = { name: "azureFreshness", ok: false, skipped: false, detail: `cannot read ${server.resourceGroup}/${server.serverName}: ${message}` };
    }
    return { name: server.name, kind: "azure", ok: check.ok, checks: [check] };
}

/**
 * The newest snapshot backup completed within `maxSnapshotAgeSeconds`, and the restore window
 * (from `earliestRestoreDate`) covers the server's retention less a day, once the server is
 * older than that. A stopped server is skipped. A server idle for longer than the limit fails
 * too: nothing Azure reports tells an idle server from one whose backups stopped, and the
 * detail says so.
 */
export function azureBackupCheck(
    server: Pick<AzureServerTarget, "resourceGroup" | "serverName" | "maxSnapshotAgeSeconds">,
    status: AzureServerStatus,
    backups: readonly AzureBackup[],
    now: Date,
): CheckResult {
    const where = `${server.resourceGroup}/${server.serverName}`;
    const fail = (detail: string, value?: number): CheckResult =>
        ({ name: "azureFreshness", ok: false, skipped: false, detail, ...(value === undefined ? {} : { value, unit: "Seconds" as const }) });
    if (status.state !== undefined && STOPPED_STATES.includes(status.state)) {
        return {
            name: "azureFreshness", ok: true, skipped: true,
            detail: `${where} is ${status.state}: Azure takes no snapshot while a server is stopped and keeps its backups; not checked`,
        };
    }
    const completed = backups.filter((b): b is AzureBackup & { completedTime: Date } => b.completedTime instanceof Date && !Number.isNaN(b.completedTime.getTime()));
    if (completed.length === 0) {
        return fail(`no completed backup listed for ${where}`);
    }
    const newest = completed.reduce((a, b) => (b.completedTime.getTime() > a.completedTime.getTime() ? b : a));
    const aheadSeconds = (newest.completedTime.getTime() - now.getTime()) / 1000;
    if (aheadSeconds > FUTURE_START_TOLERANCE_SECONDS) {
        return fail(
            `newest backup of ${where} (${newest.name ?? "unnamed"}) claims to have completed at ${newest.completedTime.toISOString()}, ` +
            `${formatDuration(aheadSeconds)} after now (${now.toISOString()}); more than the ${formatDuration(FUTURE_START_TOLERANCE_SECONDS)} allowed for clock skew, so its age is unknown`,
        );
    }
    const age = Math.max(0, -aheadSeconds);
    const limit = server.maxSnapshotAgeSeconds ?? DEFAULT_MAX_SNAPSHOT_AGE_SECONDS;
    const newestText = `newest snapshot of ${where} (${newest.name ?? "unnamed"}, ${newest.backupType ?? "unknown type"}) completed ${formatDuration(age)} ago; limit ${formatDuration(limit)}`;
    if (age > limit) {
        return fail(
            `${newestText}. Azure takes one a day and suspends them while no database is modified: if ${where} had no writes ` +
            `since ${newest.completedTime.toISOString()} it is idle and nothing is at risk; otherwise its backups have stopped`,
            age,
        );
    }
    const window = restoreWindowProblem(status, now);
    if (window !== undefined) {
        return fail(`${newestText}; but ${window}`, age);
    }
    return { name: "azureFreshness", ok: true, skipped: false, detail: newestText, value: age, unit: "Seconds" };
}

/** Why the restore window does not match the retention, or undefined when it does (or cannot be judged yet). */
function restoreWindowProblem(status: AzureServerStatus, now: Date): string | undefined {
    const earliest = status.backup?.earliestRestoreDate;
    const retentionDays = status.backup?.backupRetentionDays;
    if (earliest === undefined || retentionDays === undefined) {
        return "Azure reports no earliest restore date or retention for it";
    }
    const windowSeconds = (now.getTime() - earliest.getTime()) / 1000;
    if (windowSeconds < -FUTURE_START_TOLERANCE_SECONDS) {
        return `its earliest restore date ${earliest.toISOString()} lies after now (${now.toISOString()})`;
    }
    const createdAt = status.systemData?.createdAt;
    const wantedSeconds = retentionDays * DAY_SECONDS - WINDOW_SLACK_SECONDS;
    const oldEnough = createdAt === undefined || (now.getTime() - createdAt.getTime()) / 1000 >= retentionDays * DAY_SECONDS;
    if (oldEnough && windowSeconds < wantedSeconds) {
        return `its restore window reaches back only ${formatDuration(Math.max(0, windowSeconds))} (earliest restore date ` +
            `${earliest.toISOString()}), less than the ${retentionDays}-day retention minus a day`;
    }
    return undefined;
}
