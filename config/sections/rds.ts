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
    engineVersion: z.string().regex(/^\d+(\.\d+)?$/).prefault("15"),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/).prefault("db.t4g.medium"),
    allocatedStorageGb: z.int().min(20).max(65536).prefault(50),
    maxAllocatedStorageGb: z.int().min(20).max(65536).optional(),
    multiAz: z.boolean().prefault(false),
    /** Master user name; its password is generated and kept by RDS in Secrets Manager. Cannot change after creation. */
    masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).prefault("pgadmin"),
    /** Performance Insights, encrypted with the backup key (ignored on classes that do not support it). */
    performanceInsights: z.boolean().prefault(true),
    /** Days the instance's CloudWatch log groups keep their events (a CloudWatch Logs retention value); omitted: `functions.logRetentionDays`. */
    logRetentionDays: z.int().refine((d) => LOG_RETENTION_DAYS.includes(d), { message: `must be a CloudWatch Logs retention value: ${LOG_RETENTION_DAYS.join(", ")}` }).optional(),
    /** Log statements running at least this long, in milliseconds; omitted: not logged by duration. */
    logMinDurationStatementMs: z.int().min(0).max(2147483647).optional(),
    /** Days of automated backups (and so of point-in-time recovery): 0 turns them off. */
    backupRetentionDays: z.int().min(0).max(35).prefault(7),
    /** Daily automated-backup window, `hh24:mi-hh24:mi` UTC. */
    backupWindow: z.string().prefault("03:00-03:30"),
    /** Weekly maintenance window, `ddd:hh24:mi-ddd:hh24:mi` UTC. */
    maintenanceWindow: z.string().prefault("sun:05:00-sun:05:30"),
    /** Defaults to on in prod (the stack's `protect`). */
    deletionProtection: z.boolean().optional(),
    /** Replicate automated backups into the DR region (cross-region PITR). */
    replicateBackupsToDr: z.boolean().prefault(true),
    /** Retention of the replicated automated backups in the DR region. */
    drBackupRetentionDays: z.int().min(1).max(35).optional(),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).optional(),
    vpcSecurityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).optional(),
    /** Aurora-only settings: present so that validation can explain why they are refused. */
    backtrackWindowHours: z.number().optional(),
    serverlessV2: z.unknown().optional(),
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
    port: z.int().min(1).max(65535).prefault(5432),
    /** Secret with username/password/host/port/dbname; defaults to the RDS-managed master secret. */
    credentialsSecretArn: secretArn.optional(),
    exportTables: z.array(exportTableSchema).prefault([]),
    /** Restore-verify this database's dumps. */
    verify: z.boolean().prefault(true),
    /**
     * Where this database's dump (and its own verification) runs: `lambda` (15 minutes, 10 GB of
     * /tmp) or `fargate` (an ECS Fargate task: no time limit, up to 200 GiB of disk; sized by
     * `functions.fargate`). See docs/runners.md.
     */
    runner: z.enum(["lambda", "fargate"]).prefault("lambda"),
    /**
     * How the dump is taken. `custom`: one archive streamed to S3. `directory`: `pg_dump --format=directory` with
     * `functions.dumpJobs` workers into local disk (the dump function's /tmp, `functions.dump.ephemeralStorageMb`,
     * or a Fargate task's `functions.fargate.ephemeralStorageGiB`, must hold the whole compressed dump), then one object per file.
     */
    dumpFormat: z.enum(["custom", "directory"]).prefault("custom"),
});

/** AWS Backup: plan, vault lock, DR copy and restore testing. */
export const awsBackupSchema = z.strictObject({
    enabled: z.boolean().prefault(true),
    /** Start of the daily rule: EventBridge cron, UTC. */
    schedule: z.string().prefault("cron(0 1 * * ? *)"),
    startWindowMinutes: z.int().min(60).max(720).prefault(60),
    completionWindowMinutes: z.int().min(120).max(10080).prefault(480),
    /** Days after which recovery points move to cold storage (per tier; omitted: never). */
    coldStorageAfterDays: z.strictObject({
        daily: positiveInt.optional(),
        weekly: positiveInt.optional(),
        monthly: positiveInt.optional(),
    }).prefault({}),
    vaultLock: z.strictObject({
        /** COMPLIANCE locks for good after `changeableForDays`; GOVERNANCE can be removed by privileged users. */
        mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).optional(),
        /** Shortest retention a recovery point in the vault may have; omitted: 7, or the shortest tier's keepDays if shorter. */
        minRetentionDays: positiveInt.optional(),
        /** Longest retention a recovery point in the vault may have; omitted: 400, or the longest tier's keepDays if longer. */
        maxRetentionDays: positiveInt.optional(),
        changeableForDays: z.int().min(3).max(36500).prefault(3),
    }).prefault({}),
    restoreTesting: z.strictObject({
        enabled: z.boolean().prefault(true),
        schedule: z.string().prefault("cron(0 6 ? * SAT *)"),
        validationWindowHours: z.int().min(1).max(168).prefault(4),
        /** Hours after the scheduled time within which a restore test must start. */
        startWindowHours: z.int().min(1).max(168).prefault(24),
        /** Test the newest recovery point created within this many days. */
        selectionWindowDays: z.int().min(1).max(365).prefault(7),
        /** Instance class of the test restores (a small one keeps them cheap); omitted: the backed-up instance's class. */
        dbInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/).optional(),
    }).prefault({}),
    /**
     * Application buckets (uploaded files, media) backed up under the same plan: same schedule,
     * retention per tier, locked vault and DR copy. Each needs S3 Versioning on.
     */
    fileBuckets: z.array(z.string()).prefault([]),
    /** Resources carrying this tag (and the stack's own tag) are selected into the plan; omitted: `backup-plan=pg-backup-<stack>`. */
    selectionTag: z.strictObject({ key: z.string().min(1), value: z.string().min(1) }).optional(),
});

export const awsSchema = z.strictObject({
    /** Subnets and VPC the functions (and a created instance) run in. */
    network: z.strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
        /** Route tables that get the S3 gateway endpoint. */
        routeTableIds: z.array(z.string().regex(/^rtb-[0-9a-f]+$/)).prefault([]),
        /** Create the S3 gateway endpoint on `routeTableIds`; false for a VPC that already has one (a second one for the same route tables fails). */
        s3GatewayEndpoint: z.boolean().prefault(true),
    }).optional(),
    databases: z.array(awsDatabaseSchema).prefault([]),
    backup: awsBackupSchema.prefault({}),
});
