import { z } from "zod";
import { LOG_RETENTION_DAYS } from "../../components/aws/documents/logs";
import { logicalName, positiveInt, secretArn, tableName } from "./common";

/** A table the export function copies out, incrementally when a watermark column is given. */
export const exportTableSchema = z.strictObject({
    /** `schema.table`. */
    table: tableName,
    /** Column whose growth marks changed rows (timestamp or increasing number); none means a full export each run. */
    watermarkColumn: z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/).optional(),
});

/** The RDS instance the stack creates (or adopts with `pulumi import`) and its backup policy. */
export const rdsInstanceSchema = z.strictObject({
    /** DB instance identifier; give the existing one when adopting an instance with `pulumi import`. Omitted: generated from the database name. */
    identifier: z.string().regex(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/, {
        message: "must be 1-63 characters: lower-case letters, digits and single '-' between them, starting with a letter",
    }).optional(),
    /**
     * PostgreSQL engine version, major or major.minor.
     * @default "15"
     */
    engineVersion: z.string().regex(/^\d+(\.\d+)?$/).prefault("15"),
    /**
     * DB instance class.
     * @default "db.t4g.medium"
     */
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/).prefault("db.t4g.medium"),
    /**
     * Allocated storage in GB; without storage autoscaling, the free-storage alarm fires below 20 % of it.
     * @default 50
     */
    allocatedStorageGb: z.int().min(20).max(65536).prefault(50),
    /**
     * Upper limit of storage autoscaling in GB.
     * @default - no storage autoscaling
     */
    maxAllocatedStorageGb: z.int().min(20).max(65536).optional(),
    /**
     * A standby in a second availability zone.
     * @default false
     */
    multiAz: z.boolean().prefault(false),
    /**
     * Master user name; its password is kept in Secrets Manager (see `masterCredentials`). Cannot change after creation.
     * @default "pgadmin"
     */
    masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).prefault("pgadmin"),
    /**
     * Who owns the master user's secret. `rds-managed`: RDS generates the password and keeps it in a
     * secret it manages and rotates, which cannot be replicated to another region. `replicated`: the
     * stack generates the password and owns the secret (encrypted with the backup key, replicated to
     * `regions.dr` under the replica key; needs `storage.replication`); RDS no longer rotates it.
     * @default "rds-managed"
     */
    masterCredentials: z.enum(["rds-managed", "replicated"]).prefault("rds-managed"),
    /**
     * Performance Insights, encrypted with the backup key (ignored on classes that do not support it).
     * @default true
     */
    performanceInsights: z.boolean().prefault(true),
    /** Days the instance's CloudWatch log groups keep their events (a CloudWatch Logs retention value); omitted: `functions.logRetentionDays`. */
    logRetentionDays: z.int().refine((d) => LOG_RETENTION_DAYS.includes(d), { message: `must be a CloudWatch Logs retention value: ${LOG_RETENTION_DAYS.join(", ")}` }).optional(),
    /** Log statements running at least this long, in milliseconds; omitted: not logged by duration. */
    logMinDurationStatementMs: z.int().min(0).max(2147483647).optional(),
    /**
     * Days of automated backups (and so of point-in-time recovery): 0 turns them off.
     * @default 7
     */
    backupRetentionDays: z.int().min(0).max(35).prefault(7),
    /**
     * Daily automated-backup window, `hh24:mi-hh24:mi` UTC.
     * @default "03:00-03:30"
     */
    backupWindow: z.string().prefault("03:00-03:30"),
    /**
     * Weekly maintenance window, `ddd:hh24:mi-ddd:hh24:mi` UTC.
     * @default "sun:05:00-sun:05:30"
     */
    maintenanceWindow: z.string().prefault("sun:05:00-sun:05:30"),
    /** Defaults to on in prod (the stack's `protect`). */
    deletionProtection: z.boolean().optional(),
    /**
     * Replicate automated backups into the DR region (cross-region PITR).
     * @default true
     */
    replicateBackupsToDr: z.boolean().prefault(true),
    /** Retention of the replicated automated backups in the DR region. */
    drBackupRetentionDays: z.int().min(1).max(35).optional(),
    /**
     * Subnets of the instance's subnet group.
     * @default - `aws.network.subnetIds`
     */
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).optional(),
    /**
     * Security groups of the instance.
     * @default - RDS attaches the VPC's default security group
     */
    vpcSecurityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).optional(),
    /** Aurora-only settings: present so that validation can explain why they are refused. */
    backtrackWindowHours: z.number().optional(),
    /** Aurora Serverless v2 scaling: refused by validation (this stack manages RDS for PostgreSQL). */
    serverlessV2: z.unknown().optional(),
    /** Aurora global database: refused by validation (this stack manages RDS for PostgreSQL). */
    globalClusterIdentifier: z.string().optional(),
});

export const awsDatabaseSchema = z.strictObject({
    /** Logical name: object-key segment, resource-name stem, metric dimension. */
    name: logicalName,
    /** Name of the PostgreSQL database inside the instance. */
    databaseName: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/),
    /** The instance to create; omit to protect an instance the stack does not manage (give `host` and `credentialsSecretArn`). */
    instance: rdsInstanceSchema.optional(),
    /** Endpoint of an instance the stack does not manage. */
    host: z.string().min(1).optional(),
    /**
     * Port the database listens on.
     * @default 5432
     */
    port: z.int().min(1).max(65535).prefault(5432),
    /** Secret with username/password/host/port/dbname; defaults to the instance's master secret (RDS-managed, or the stack's with `instance.masterCredentials: replicated`). */
    credentialsSecretArn: secretArn.optional(),
    /**
     * Tables the export function copies out as gzip CSV on `schedules.export`.
     * @default []
     */
    exportTables: z.array(exportTableSchema).prefault([]),
    /**
     * Restore-verify this database's dumps.
     * @default true
     */
    verify: z.boolean().prefault(true),
    /**
     * Where this database's dump (and its own verification) runs: `lambda` (15 minutes, 10 GB of
     * /tmp) or `fargate` (an ECS Fargate task: no time limit, up to 200 GiB of disk; sized by
     * `functions.fargate`). See docs/runners.md.
     * @default "lambda"
     */
    runner: z.enum(["lambda", "fargate"]).prefault("lambda"),
    /**
     * How the dump is taken. `custom`: one archive streamed to S3. `directory`: `pg_dump --format=directory` with
     * `functions.dumpJobs` workers into local disk (the dump function's /tmp, `functions.dump.ephemeralStorageMb`,
     * or a Fargate task's `functions.fargate.ephemeralStorageGiB`), each file uploaded as its own object while
     * pg_dump writes it and deleted once stored: the disk holds the files being written and those waiting for an
     * upload, at worst (storage slower than the dump) the whole compressed dump.
     * @default "custom"
     */
    dumpFormat: z.enum(["custom", "directory"]).prefault("custom"),
});

/** AWS Backup: plan, vault lock, DR copy and restore testing. */
export const awsBackupSchema = z.strictObject({
    /**
     * Protect the managed instances (and `fileBuckets`) with an AWS Backup plan.
     * @default true
     */
    enabled: z.boolean().prefault(true),
    /**
     * Start of the daily rule: EventBridge cron, UTC.
     * @default "cron(0 1 * * ? *)"
     */
    schedule: z.string().prefault("cron(0 1 * * ? *)"),
    /**
     * Minutes after the scheduled time within which a backup job must start.
     * @default 60
     */
    startWindowMinutes: z.int().min(60).max(720).prefault(60),
    /**
     * Minutes after the start within which a backup job must complete.
     * @default 480
     */
    completionWindowMinutes: z.int().min(120).max(10080).prefault(480),
    /**
     * Days after which recovery points move to cold storage (per tier; omitted: never).
     * @default {} - never
     */
    coldStorageAfterDays: z.strictObject({
        /**
         * Days after which daily recovery points move to cold storage.
         * @default - never
         */
        daily: positiveInt.optional(),
        /**
         * Days after which weekly recovery points move to cold storage.
         * @default - never
         */
        weekly: positiveInt.optional(),
        /**
         * Days after which monthly recovery points move to cold storage.
         * @default - never
         */
        monthly: positiveInt.optional(),
    }).prefault({}),
    /**
     * AWS Backup Vault Lock on the primary and DR vaults.
     * @default {} - every key takes its default
     */
    vaultLock: z.strictObject({
        /** COMPLIANCE locks for good after `changeableForDays`; GOVERNANCE can be removed by privileged users. */
        mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).optional(),
        /** Shortest retention a recovery point in the vault may have; omitted: 7, or the shortest tier's keepDays if shorter. */
        minRetentionDays: positiveInt.optional(),
        /** Longest retention a recovery point in the vault may have; omitted: 400, or the longest tier's keepDays if longer. */
        maxRetentionDays: positiveInt.optional(),
        /**
         * Days a COMPLIANCE lock can still be removed; after them it is immutable.
         * @default 3
         */
        changeableForDays: z.int().min(3).max(36500).prefault(3),
    }).prefault({}),
    /**
     * AWS Backup restore testing of the managed instances.
     * @default {} - every key takes its default
     */
    restoreTesting: z.strictObject({
        /**
         * Restore the newest recovery point on `schedule`, validate it and delete it.
         * @default true
         */
        enabled: z.boolean().prefault(true),
        /**
         * EventBridge cron of the restore tests, UTC.
         * @default "cron(0 6 ? * SAT *)"
         */
        schedule: z.string().prefault("cron(0 6 ? * SAT *)"),
        /**
         * Hours a restored instance is kept for validation before it is deleted.
         * @default 4
         */
        validationWindowHours: z.int().min(1).max(168).prefault(4),
        /**
         * Hours after the scheduled time within which a restore test must start.
         * @default 24
         */
        startWindowHours: z.int().min(1).max(168).prefault(24),
        /**
         * Test the newest recovery point created within this many days.
         * @default 7
         */
        selectionWindowDays: z.int().min(1).max(365).prefault(7),
        /** Instance class of the test restores (a small one keeps them cheap); omitted: the backed-up instance's class. */
        dbInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
    }).prefault({}),
    /**
     * Application buckets (uploaded files, media) backed up under the same plan: same schedule,
     * retention per tier, locked vault and DR copy. Each needs S3 Versioning on.
     * @default []
     */
    fileBuckets: z.array(z.string()).prefault([]),
    /** Resources carrying this tag (and the stack's own tag) are selected into the plan; omitted: `backup-plan=pg-backup-<stack>`. */
    selectionTag: z.strictObject({
        /** Tag key. */
        key: z.string().min(1),
        /** Tag value. */
        value: z.string().min(1),
    }).optional(),
});

export const awsSchema = z.strictObject({
    /** Subnets and VPC the functions (and a created instance) run in. */
    network: z.strictObject({
        /** VPC the functions run in. */
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
        /** Private subnets of the functions (and of a created instance without its own `subnetIds`). */
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
        /**
         * Route tables that get the S3 gateway endpoint.
         * @default []
         */
        routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]+$/)).prefault([]),
        /**
         * Create the S3 gateway endpoint on `routeTableIds`; false for a VPC that already has one (a second one for the same route tables fails).
         * @default true
         */
        s3GatewayEndpoint: z.boolean().prefault(true),
    }).optional(),
    /**
     * The databases the stack backs up, each with the RDS instance it creates or an existing one.
     * @default []
     */
    databases: z.array(awsDatabaseSchema).prefault([]),
    /**
     * AWS Backup: plan, vault lock, DR copy and restore testing.
     * @default {} - every key takes its default
     */
    backup: awsBackupSchema.prefault({}),
});
