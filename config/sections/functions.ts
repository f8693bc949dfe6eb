import { z } from "zod";
import { secretArn } from "./common";

const sizing = (memoryMb: number, timeoutSeconds: number, ephemeralStorageMb: number) =>
    z.strictObject({
        /**
         * Memory of the function in MB (Lambda gives CPU in proportion).
         * @default - 1024 for dump, 512 for export, 2048 for verify
         */
        memoryMb: z.int().min(128).max(10240).prefault(memoryMb),
        /**
         * Seconds a run may take before Lambda stops it.
         * @default 900
         */
        timeoutSeconds: z.int().min(30).max(900).prefault(timeoutSeconds),
        /**
         * Size of the function's /tmp; verify keeps the downloaded dump there for a parallel restore.
         * @default - 512 for dump and export, 10240 for verify
         */
        ephemeralStorageMb: z.int().min(512).max(10240).prefault(ephemeralStorageMb),
    }).prefault({});

/** The scheduled functions: sizing, compression, verification bounds. */
export const functionsSchema = z.strictObject({
    /**
     * Sizing of the dump function.
     * @default {} - memoryMb 1024, timeoutSeconds 900, ephemeralStorageMb 512
     */
    dump: sizing(1024, 900, 512),
    /**
     * Sizing of the export function.
     * @default {} - memoryMb 512, timeoutSeconds 900, ephemeralStorageMb 512
     */
    export: sizing(512, 900, 512),
    /**
     * Sizing of the verify function: its /tmp holds the downloaded dump during the restore.
     * @default {} - memoryMb 2048, timeoutSeconds 900, ephemeralStorageMb 10240
     */
    verify: sizing(2048, 900, 10240),
    /**
     * The container image all three functions run.
     * @default {} - every key takes its default
     */
    image: z.strictObject({
        /**
         * Major version of pg_dump/pg_restore in the image (Amazon Linux 2023 packages postgresql15..17):
         * at least every server's major. Default: the newest major among the databases, at least 15.
         */
        pgMajor: z.int().min(15).max(17).optional(),
        /**
         * CPU architecture of the image and of the functions.
         * @default "linux/amd64"
         */
        platform: z.enum(["linux/amd64", "linux/arm64"]).prefault("linux/amd64"),
        /**
         * Images kept in the ECR repository; older ones expire.
         * @default 10
         */
        keepImages: z.int().min(1).max(1000).prefault(10),
    }).prefault({}),
    /**
     * Size of the Fargate tasks of databases with `runner: fargate`: CPU units (1024 = 1 vCPU) and
     * memory in MiB, a combination Fargate offers (checked by a rule), and ephemeral storage (the
     * task's disk, /tmp included) in GiB.
     * @default {} - every key takes its default
     */
    fargate: z.strictObject({
        /**
         * CPU units of a task (1024 = 1 vCPU).
         * @default 1024
         */
        cpu: z.int().prefault(1024),
        /**
         * Memory of a task in MiB, a combination with `cpu` that Fargate offers.
         * @default 4096
         */
        memoryMb: z.int().prefault(4096),
        /**
         * Ephemeral storage of a task (its disk, /tmp included) in GiB. ECS pulls the image to it too: a task that keeps a dump there (verification, a directory-format dump) needs functions.maxDumpSizeGiB plus 4 GiB.
         * @default 50
         */
        ephemeralStorageGiB: z.int().min(21).max(200).prefault(50),
    }).prefault({}),
    /**
     * Retries of a scheduled run: delivery by EventBridge Scheduler and the function's asynchronous invocation.
     * @default {} - every key takes its default
     */
    retry: z.strictObject({
        /**
         * Retries of a failed run, 0..2 (Lambda's limit for asynchronous invocations).
         * @default 2
         */
        attempts: z.int().min(0).max(2).prefault(2),
        /**
         * A run not started within this many seconds goes to the dead-letter queue.
         * @default 3600
         */
        maxEventAgeSeconds: z.int().min(60).max(21600).prefault(3600),
    }).prefault({}),
    /**
     * Where the verify function restores into scratch databases.
     * @default {} - every key takes its default
     */
    verification: z.strictObject({
        /** Secret (username, password, host, port) of the verification server; scratch databases are created from its `postgres` database. */
        credentialsSecretArn: secretArn.optional(),
        /** Security groups of the verification server: the verify function gets egress to them and an ingress rule on them. */
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).optional(),
        /** CIDR blocks of the verification server, when it is reached by address rather than security group. */
        cidrBlocks: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/)).optional(),
        /**
         * Port of the verification server.
         * @default 5432
         */
        port: z.int().min(1).max(65535).prefault(5432),
    }).prefault({}),
    /** Largest dump expected, in GiB: checked against the part size and the disk of every function or task that keeps a dump on it (verify's download, a directory-format dump). */
    maxDumpSizeGiB: z.number().positive().optional(),
    /**
     * CloudWatch Logs retention of the functions' log groups (prod requires at least 365).
     * @default 365
     */
    logRetentionDays: z.union([
        z.literal(1), z.literal(3), z.literal(5), z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90),
        z.literal(120), z.literal(150), z.literal(180), z.literal(365), z.literal(400), z.literal(545), z.literal(731),
        z.literal(1096), z.literal(1827), z.literal(2192), z.literal(2557), z.literal(2922), z.literal(3288), z.literal(3653),
    ]).prefault(365),
    /**
     * Compression of the dumps: a gzip custom-format archive is compressed by the dump pipeline in 1 MiB blocks on up to 4 threads; directory-format files and the other methods by pg_dump.
     * @default {} - gzip at level 1
     */
    compression: z.strictObject({
        /**
         * Compression method; lz4 and zstd need pg_dump 16 or newer.
         * @default "gzip"
         */
        method: z.enum(["gzip", "lz4", "zstd", "none"]).prefault("gzip"),
        /**
         * Compression level, within the method's own range (checked by a rule); low is fastest.
         * @default 1
         */
        level: z.int().min(0).max(22).prefault(1),
    }).prefault({}),
    /**
     * Multipart part size; at the default, a dump may grow to 160 GiB within S3's 10,000 parts.
     * @default 16
     */
    partSizeMiB: z.int().min(5).max(5120).prefault(16),
    /**
     * A new dump must be within these ratios of the median of the previous ones.
     * @default {} - every key takes its default
     */
    sizeBounds: z.strictObject({
        /**
         * The newest dump may not be smaller than this fraction of the median.
         * @default 0.5
         */
        minRatio: z.number().gt(0).max(1).prefault(0.5),
        /**
         * The newest dump may not be larger than this multiple of the median.
         * @default 3
         */
        maxRatio: z.number().min(1).prefault(3),
        /**
         * How many previous dumps form the median.
         * @default 7
         */
        window: z.int().min(1).max(50).prefault(7),
    }).prefault({}),
    /**
     * How far the export's date and timestamp watermarks stay behind the database's clock: a
     * transaction that commits up to this long after taking its timestamp is still exported.
     * Costs only rows exported twice (those changed within the lag), never freshness.
     * @default 300
     */
    exportSafetyLagSeconds: z.int().min(0).max(86_400).prefault(300),
    /**
     * Concurrency reserved for each function: 1 keeps runs from overlapping; 0 leaves them unreserved, for accounts whose quota leaves nothing to reserve.
     * @default 1
     */
    reservedConcurrency: z.int().min(0).max(1000).prefault(1),
    /**
     * Parallel pg_dump workers of a database with `dumpFormat: directory` (each holds one more database connection).
     * @default 2
     */
    dumpJobs: z.int().min(1).max(16).prefault(2),
    /**
     * Parallel pg_restore jobs of the verification restore.
     * @default 2
     */
    restoreJobs: z.int().min(1).max(16).prefault(2),
    /**
     * CloudWatch namespace of the functions' metrics, which the alarms and the dashboard read.
     * @default "PgBackupStack"
     */
    metricsNamespace: z.string().regex(/^[A-Za-z0-9._/#:-]{1,255}$/).prefault("PgBackupStack"),
});
