import { z } from "zod";
import { secretArn } from "./common";

const sizing = (memoryMb: number, timeoutSeconds: number, ephemeralStorageMb: number) =>
    z.strictObject({
        memoryMb: z.int().min(128).max(10240).prefault(memoryMb),
        timeoutSeconds: z.int().min(30).max(900).prefault(timeoutSeconds),
        /** Size of the function's /tmp; verify keeps the downloaded dump there for a parallel restore. */
        ephemeralStorageMb: z.int().min(512).max(10240).prefault(ephemeralStorageMb),
    }).prefault({});

/** The scheduled functions: sizing, compression, verification bounds. */
export const functionsSchema = z.strictObject({
    dump: sizing(1024, 900, 512),
    export: sizing(512, 900, 512),
    verify: sizing(2048, 900, 10240),
    /** The container image all three functions run. */
    image: z.strictObject({
        /**
         * Major version of pg_dump/pg_restore in the image (Amazon Linux 2023 packages postgresql15..17):
         * at least every server's major. Default: the newest major among the databases, at least 15.
         */
        pgMajor: z.int().min(15).max(17).optional(),
        /** CPU architecture of the image and of the functions. */
        platform: z.enum(["linux/amd64", "linux/arm64"]).prefault("linux/amd64"),
        /** Images kept in the ECR repository; older ones expire. */
        keepImages: z.int().min(1).max(1000).prefault(10),
    }).prefault({}),
    /**
     * Size of the Fargate tasks of databases with `runner: fargate`: CPU units (1024 = 1 vCPU) and
     * memory in MiB, a combination Fargate offers (checked by a rule), and ephemeral storage (the
     * task's disk, /tmp included) in GiB.
     */
    fargate: z.strictObject({
        cpu: z.int().prefault(1024),
        memoryMb: z.int().prefault(4096),
        ephemeralStorageGiB: z.int().min(21).max(200).prefault(50),
    }).prefault({}),
    /** Retries of a scheduled run: delivery by EventBridge Scheduler and the function's asynchronous invocation. */
    retry: z.strictObject({
        /** 0..2 (Lambda's limit for asynchronous invocations). */
        attempts: z.int().min(0).max(2).prefault(2),
        /** A run not started within this many seconds goes to the dead-letter queue. */
        maxEventAgeSeconds: z.int().min(60).max(21600).prefault(3600),
    }).prefault({}),
    /** Where the verify function restores into scratch databases. */
    verification: z.strictObject({
        /** Secret (username, password, host, port) of the verification server; scratch databases are created from its `postgres` database. */
        credentialsSecretArn: secretArn.optional(),
        /** Security groups of the verification server: the verify function gets egress to them and an ingress rule on them. */
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).optional(),
        /** CIDR blocks of the verification server, when it is reached by address rather than security group. */
        cidrBlocks: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/)).optional(),
        port: z.int().min(1).max(65535).prefault(5432),
    }).prefault({}),
    /** Largest dump expected, in GiB: checked against the part size and the verify function's /tmp. */
    maxDumpSizeGiB: z.number().positive().optional(),
    /** CloudWatch Logs retention of the functions' log groups (prod requires at least 365). */
    logRetentionDays: z.union([
        z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90),
        z.literal(120), z.literal(150), z.literal(180), z.literal(365), z.literal(400), z.literal(545), z.literal(731),
        z.literal(1096), z.literal(1827), z.literal(2192), z.literal(2557), z.literal(2922), z.literal(3288), z.literal(3653),
    ]).prefault(365),
    compression: z.strictObject({
        method: z.enum(["gzip", "lz4", "zstd", "none"]).prefault("gzip"),
        level: z.int().min(0).max(22).prefault(1),
    }).prefault({}),
    /** Multipart part size; at the default, a dump may grow to 160 GiB within S3's 10,000 parts. */
    partSizeMiB: z.int().min(5).max(5120).prefault(16),
    /** A new dump must be within these ratios of the median of the previous ones. */
    sizeBounds: z.strictObject({
        minRatio: z.number().gt(0).max(1).prefault(0.5),
        maxRatio: z.number().min(1).prefault(3),
        window: z.int().min(1).max(50).prefault(7),
    }).prefault({}),
    /**
     * How far the export's date and timestamp watermarks stay behind the database's clock: a
     * transaction that commits up to this long after taking its timestamp is still exported.
     * Costs only rows exported twice (those changed within the lag), never freshness.
     */
    exportSafetyLagSeconds: z.int().min(0).max(86_400).prefault(300),
    /** Concurrency reserved for each function: 1 keeps runs from overlapping; 0 leaves them unreserved, for accounts whose quota leaves nothing to reserve. */
    reservedConcurrency: z.int().min(0).max(1000).prefault(1),
    /** Parallel pg_dump workers of a database with `dumpFormat: directory` (each holds one more database connection). */
    dumpJobs: z.int().min(1).max(16).prefault(2),
    /** Parallel pg_restore jobs of the verification restore. */
    restoreJobs: z.int().min(1).max(16).prefault(2),
    metricsNamespace: z.string().regex(/^[A-Za-z0-9._/#:-]{1,255}$/).prefault("PgBackupStack"),
});
