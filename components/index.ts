/**
 * Public surface of the component library: each component with its Args, and the pure
 * builders of the documents they declare, for teams that import single pieces. This entry
 * loads both clouds; `pg-backup-stack/aws` and `pg-backup-stack/azure` load one.
 *
 *     import { BackupBucket, BackupKey, RetentionTiers } from "pg-backup-stack";
 */

export * from "./aws";
export * from "./azure";
