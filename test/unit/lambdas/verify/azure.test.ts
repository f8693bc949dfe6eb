import assert from "node:assert/strict";
import type { PostgreSQLManagementFlexibleServerClient } from "@azure/arm-postgresql-flexible";
import {
    DEFAULT_MAX_SNAPSHOT_AGE_SECONDS,
    azureBackupCheck,
    flexibleServerClient,
    validateAzureServers,
    verifyAzureServer,
    type AzureServerStatus,
    type FlexibleServerBackupLister,
} from "../../../../lambdas/verify/azure";
import { VerifyConfigError } from "../../../../lambdas/verify/errors";

/** Compile-time proof that the real Azure SDK client fits the interface verify takes (checked by `npm test`'s typecheck). */
export const azureClientFits = (client: PostgreSQLManagementFlexibleServerClient): FlexibleServerBackupLister => client;

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const now = new Date("2026-11-30T12:00:00Z");
const ago = (ms: number): Date => new Date(now.getTime() - ms);
const server = { resourceGroup: "rg", serverName: "srv" };
/** A running server, a year old, with 7 days of retention and a full 7-day restore window. */
const READY: AzureServerStatus = {
    state: "Ready",
    backup: { backupRetentionDays: 7, earliestRestoreDate: ago(7 * DAY) },
    systemData: { createdAt: ago(365 * DAY) },
};

describe("verify: Azure Flexible Server backups", () => {
    it("passes a snapshot 20 hours old: Azure takes one a day, so the RPO is not the limit", () => {
        // given the daily snapshot taken 20 hours ago (the old check held it to the verify RPO and failed every run)
        const result = azureBackupCheck(server, READY, [{ name: "daily", backupType: "Full", completedTime: ago(20 * HOUR) }], now);
        // then it passes with its age, and the limit is a day plus slack
        assert.equal(result.ok, true, result.detail);
        assert.equal(result.value, 20 * 3600);
        assert.equal(DEFAULT_MAX_SNAPSHOT_AGE_SECONDS, 30 * 3600);
        assert.match(result.detail, /newest snapshot of rg\/srv \(daily, Full\) completed 20h 00m 00s ago; limit 30h 00m 00s/);
    });

    it("takes the newest completed backup whatever the listing order", () => {
        // given backups listed oldest last and one without a completion time
        const backups = [{ name: "older", completedTime: ago(2 * DAY) }, { name: "newest", completedTime: ago(HOUR) }, { name: "running" }];
        // then the newest decides
        const result = azureBackupCheck(server, READY, backups, now);
        assert.equal(result.ok, true);
        assert.equal(result.value, 3600);
    });

    it("fails a snapshot older than a day plus slack, saying an idle server would explain it", () => {
        // given the newest snapshot 40 hours old on a running server
        const result = azureBackupCheck(server, READY, [{ name: "old", backupType: "Full", completedTime: ago(40 * HOUR) }], now);
        // then it fails with its age, and the detail tells idle from stopped backups
        assert.equal(result.ok, false);
        assert.equal(result.value, 40 * 3600);
        assert.match(result.detail, /suspends them while no database is modified: if rg\/srv had no writes since .* it is idle/);
    });

    it("honours a longer limit for a server expected to be idle for days", () => {
        // given a 3-day limit and a 40-hour-old snapshot
        const result = azureBackupCheck({ ...server, maxSnapshotAgeSeconds: 72 * 3600 }, READY, [{ name: "old", completedTime: ago(40 * HOUR) }], now);
        assert.equal(result.ok, true, result.detail);
    });

    it("skips a stopped server: Azure takes no snapshot while it is stopped and keeps its backups", () => {
        // given a stopped server whose newest snapshot is a week old
        const result = azureBackupCheck(server, { ...READY, state: "Stopped" }, [{ name: "old", completedTime: ago(7 * DAY) }], now);
        // then the check is skipped, not failed
        assert.deepEqual([result.ok, result.skipped], [true, true]);
        assert.match(result.detail, /rg\/srv is Stopped: Azure takes no snapshot while a server is stopped/);
    });

    it("fails a restore window shorter than the retention once the server is older than it", () => {
        // given a fresh snapshot but an earliest restore date only 2 days back on a 7-day retention
        const status = { ...READY, backup: { backupRetentionDays: 7, earliestRestoreDate: ago(2 * DAY) } };
        const result = azureBackupCheck(server, status, [{ name: "daily", completedTime: ago(HOUR) }], now);
        // then it fails naming the window and the retention
        assert.equal(result.ok, false);
        assert.match(result.detail, /restore window reaches back only 48h 00m 00s .* less than the 7-day retention minus a day/);
    });

    it("accepts a short restore window on a server younger than its retention", () => {
        // given a server created 2 days ago
        const status = { ...READY, backup: { backupRetentionDays: 7, earliestRestoreDate: ago(2 * DAY) }, systemData: { createdAt: ago(2 * DAY) } };
        const result = azureBackupCheck(server, status, [{ name: "daily", completedTime: ago(HOUR) }], now);
        assert.equal(result.ok, true, result.detail);
    });

    it("fails an earliest restore date in the future, and one Azure does not report", () => {
        const future = azureBackupCheck(server, { ...READY, backup: { backupRetentionDays: 7, earliestRestoreDate: new Date(now.getTime() + DAY) } }, [{ completedTime: ago(HOUR) }], now);
        const missing = azureBackupCheck(server, { state: "Ready" }, [{ completedTime: ago(HOUR) }], now);
        assert.match(future.detail, /earliest restore date .* lies after now/);
        assert.equal(future.ok, false);
        assert.match(missing.detail, /reports no earliest restore date or retention/);
        assert.equal(missing.ok, false);
    });

    it("fails a completion time beyond the clock-skew tolerance in the future, and accepts a little skew", () => {
        const future = azureBackupCheck(server, READY, [{ name: "ahead", completedTime: new Date(now.getTime() + HOUR) }], now);
        const skewed = azureBackupCheck(server, READY, [{ name: "skewed", completedTime: new Date(now.getTime() + 60_000) }], now);
        assert.equal(future.ok, false);
        assert.equal(future.value, undefined);
        assert.match(future.detail, /claims to have completed at 2026-11-30T13:00:00.000Z, .* after now \(2026-11-30T12:00:00.000Z\)/);
        assert.equal(skewed.ok, true);
        assert.equal(skewed.value, 0);
    });

    it("fails without any completed backup", () => {
        const result = azureBackupCheck(server, READY, [{ name: "running" }], now);
        assert.equal(result.ok, false);
        assert.equal(result.detail, "no completed backup listed for rg/srv");
    });

    it("reads state and backups through the client, and turns a failed call into a failed check", async () => {
        // given a client for one healthy server and one whose state cannot be read
        const client: FlexibleServerBackupLister = {
            servers: {
                async get(_rg, name) {
                    if (name === "broken") throw new Error("AuthorizationFailed");
                    return READY;
                },
            },
            backupsAutomaticAndOnDemand: {
                async *listByServer() {
                    yield { name: "daily", backupType: "Full", completedTime: ago(3 * HOUR) };
                },
            },
        };
        // when both are verified
        const ok = await verifyAzureServer({ name: "blog", ...server }, client, () => now);
        const broken = await verifyAzureServer({ name: "shop", resourceGroup: "rg", serverName: "broken" }, client, () => now);
        // then the first passes and the second fails naming the error
        assert.deepEqual([ok.kind, ok.ok, broken.ok], ["azure", true, false]);
        assert.equal(broken.checks[0]?.detail, "cannot read rg/broken: AuthorizationFailed");
    });

    it("refuses a snapshot-age limit below a day, naming the field", () => {
        assert.throws(() => validateAzureServers([{ name: "x", ...server, maxSnapshotAgeSeconds: 3600 }]),
            (e: unknown) => e instanceof VerifyConfigError && /^azureServers\[0\]\.maxSnapshotAgeSeconds: 3600 is out of range; expected at least 86400/.test(e.message));
    });

    it("builds the Resource Manager client on the credential it is given, which is asked for a management token", async () => {
        // given a stand-in credential that records the scopes asked for and refuses, as a managed identity without a role would
        const scopes: string[] = [];
        const credential = {
            async getToken(requested: string | string[]) {
                scopes.push(...(Array.isArray(requested) ? requested : [requested]));
                throw Object.assign(new Error("the managed identity has no access"), { name: "CredentialUnavailableError" });
            },
        };
        // when a server is checked through the client built on it
        const result = await verifyAzureServer({ name: "eu", ...server }, await flexibleServerClient("00000000-0000-0000-0000-000000000000", credential), () => now);
        // then the credential was asked for Azure Resource Manager, and its refusal is the failed check's detail
        assert.deepEqual([...new Set(scopes)], ["https://management.azure.com/.default"]);
        assert.equal(result.ok, false);
        assert.match(result.checks[0]?.detail ?? "", /^cannot read rg\/srv: .*the managed identity has no access/);
    });
});
