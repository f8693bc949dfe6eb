import { z } from "zod";

const sizing = (memoryMb: number, timeoutSeconds: number) =>
    z.strictObject({
        memoryMb: z.int().min(128).max(10240).prefault(memoryMb),
        timeoutSeconds: z.int().min(30).max(900).prefault(timeoutSeconds),
    }).prefault({});

/** The scheduled functions: sizing, compression, verification bounds. */
export const functionsSchema = z.strictObject({
    dump: sizing(1024, 900),
    export: sizing(512, 900),
    verify: sizing(2048, 900),
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
    /** Parallel pg_restore jobs of the verification restore. */
    restoreJobs: z.int().min(1).max(16).prefault(2),
    metricsNamespace: z.string().regex(/^[A-Za-z0-9._/#:-]{1,255}$/).prefault("PgBackupStack"),
});
