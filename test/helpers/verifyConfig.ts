import { parsePostgresUrl } from "../../lambdas/shared/pgTarget";
import type { VerifyConfig } from "../../lambdas/verify/verify";
import type { EmbeddedPostgres } from "./embedded";

/** Verify settings for one database on the embedded server: a backup up to an hour old, an RTO of an hour, 2 restore jobs. */
export function hourlyVerifyConfig(pg: EmbeddedPostgres, bucket: string, prefix: string, database: string): VerifyConfig {
    return {
        bucket,
        prefix,
        databases: [database],
        maxBackupAgeSeconds: 3600,
        rtoSeconds: 3600,
        size: { window: 7, minRatio: 0.5, maxRatio: 3 },
        verificationServer: parsePostgresUrl(pg.url("postgres"), "verificationServer"),
        jobs: 2,
        binDir: pg.binDir,
    };
}
