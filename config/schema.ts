import { z } from "zod";
import { logicalName, positiveInt, secretString } from "./sections/common";
import { awsSchema } from "./sections/rds";
import { azureSchema } from "./sections/azure";
import { functionsSchema } from "./sections/functions";
import { slackChannelSchema, teamsChannelSchema } from "./sections/chat";

/** The Pulumi config namespace every key of this stack lives in: `pg-backup-stack:<key>`. */
export const CONFIG_NAMESPACE = "pg-backup-stack";

/**
 * One retention tier: how long its dumps are kept and when they move to colder storage
 * classes (days after creation; an omitted class is skipped).
 */
export const tierSchema = z.strictObject({
    /** Days a dump of this tier is kept; the lifecycle rule expires it after that. */
    keepDays: positiveInt,
    /**
     * Days after creation when the dump moves to S3 Standard-IA.
     * @default - never (the class is skipped)
     */
    standardIaAfterDays: positiveInt.optional(),
    /**
     * Days after creation when the dump moves to S3 Glacier Flexible Retrieval.
     * @default - never (the class is skipped)
     */
    glacierAfterDays: positiveInt.optional(),
    /**
     * Days after creation when the dump moves to S3 Glacier Deep Archive.
     * @default - never (the class is skipped)
     */
    deepArchiveAfterDays: positiveInt.optional(),
    /**
     * Accept paying a class's minimum storage duration for objects that expire before it ends.
     * @default false
     */
    allowEarlyDeletion: z.boolean().prefault(false),
});

const weekday = z.enum(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]);

export const stackConfigSchema = z.strictObject({
    /** Stack's environment name; `prod` switches on the production guarantees. */
    environment: logicalName,
    /** Deletion protection and Pulumi `protect` on stateful resources; defaults to true in prod. */
    protect: z.boolean().optional(),
    /** The recovery objectives the schedules, alarms and verification are held to. */
    objectives: z.strictObject({
        /** Recovery point objective: the most data, in minutes, the stack may lose. */
        rpoMinutes: z.int().min(1).max(44640),
        /** Recovery time objective: the longest a restore may take, in minutes. */
        rtoMinutes: z.int().min(1).max(44640),
    }),
    /** AWS regions of the stack; omitted: an Azure-only stack, which declares no AWS resource (needs `azure`). */
    regions: z.strictObject({
        /** Region of the databases, the backup bucket, the key, the functions and the alarms. */
        primary: z.string(),
        /** Disaster-recovery region: replica key, replica bucket, DR backup vault and replicated automated backups. */
        dr: z.string(),
    }).optional(),
    /** How long dumps are kept, per retention tier, and which dumps are promoted to the weekly and monthly tiers. */
    retention: z.strictObject({
        /** Every dump that is not promoted to the weekly or monthly tier. */
        daily: tierSchema,
        /** The first dump of `weeklyOn` (UTC). */
        weekly: tierSchema,
        /** The first dump of day `monthlyOn` of the month (UTC). */
        monthly: tierSchema,
        /**
         * UTC weekday whose first dump is promoted to the weekly tier.
         * @default "SUN"
         */
        weeklyOn: weekday.prefault("SUN"),
        /**
         * UTC day of month whose first dump is promoted to the monthly tier.
         * @default 1
         */
        monthlyOn: z.int().min(1).max(28).prefault(1),
    }),
    /**
     * The backup bucket: key prefixes, expiries, Object Lock and replication.
     * @default {} - every key takes its default
     */
    storage: z.strictObject({
        /**
         * Key prefix of the dumps.
         * @default "backups"
         */
        prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,62}$/).prefault("backups"),
        /**
         * Key prefix of the table exports.
         * @default "exports"
         */
        exportPrefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,62}$/).prefault("exports"),
        /**
         * Days a table export is kept (hourly incremental exports rarely need more than a few days).
         * @default 30
         */
        exportKeepDays: positiveInt.prefault(30),
        /**
         * Days a replaced or deleted object version is kept.
         * @default 30
         */
        noncurrentVersionExpireDays: positiveInt.prefault(30),
        /**
         * Days after which an unfinished multipart upload is aborted.
         * @default 1
         */
        abortIncompleteUploadDays: positiveInt.prefault(1),
        /**
         * S3 Object Lock default retention of the backup bucket (and of its replica): give both mode and days.
         * @default - no Object Lock (validation warns in prod)
         */
        objectLock: z.strictObject({
            /** GOVERNANCE: users with s3:BypassGovernanceRetention may delete early; COMPLIANCE: nobody can, the root user included. */
            mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).optional(),
            /** Days every new object version is locked for. */
            days: positiveInt.optional(),
        }).optional(),
        /**
         * Replicate the backup bucket to the DR region.
         * @default true
         */
        replication: z.boolean().prefault(true),
        /**
         * Days the server access logs are kept.
         * @default 365
         */
        accessLogExpireDays: positiveInt.prefault(365),
        /**
         * Let `pulumi destroy` delete non-empty buckets (never in prod).
         * @default false
         */
        forceDestroy: z.boolean().prefault(false),
    }).prefault({}),
    /** When the scheduled functions run (EventBridge Scheduler expressions, UTC). */
    schedules: z.strictObject({
        /** EventBridge Scheduler expression of the dump: rate(...), cron(...) or at(...). */
        dump: z.string(),
        /**
         * EventBridge Scheduler expression of the table exports.
         * @default - no export function
         */
        export: z.string().optional(),
        /**
         * EventBridge Scheduler expression of the verification run.
         * @default "cron(30 4 * * ? *)"
         */
        verify: z.string().prefault("cron(30 4 * * ? *)"),
    }),
    /**
     * Who receives the alarms and the failed AWS Backup jobs.
     * @default {} - every key takes its default
     */
    alerts: z.strictObject({
        /**
         * Email addresses subscribed to both alert topics (each confirms its subscription).
         * @default []
         */
        emails: z.array(z.email()).prefault([]),
        /**
         * HTTPS endpoints (e.g. chat webhooks) subscribed to the alert topic: secrets.
         * @default []
         */
        webhookUrls: z.array(secretString).prefault([]),
        /**
         * Slack channels subscribed to both alert topics through AWS Chatbot (AWS stacks).
         * @default []
         */
        slack: z.array(slackChannelSchema).prefault([]),
        /**
         * Microsoft Teams channels subscribed to both alert topics through AWS Chatbot (AWS stacks).
         * @default []
         */
        teams: z.array(teamsChannelSchema).prefault([]),
    }).prefault({}),
    /**
     * The scheduled dump, export and verify functions.
     * @default {} - every key takes its default
     */
    functions: functionsSchema.prefault({}),
    /**
     * The AWS side: network, databases and AWS Backup.
     * @default {} - every key takes its default
     */
    aws: awsSchema.prefault({}),
    /**
     * The Azure side: Flexible Servers, storage account and alerts.
     * @default - no Azure resources
     */
    azure: azureSchema.optional(),
});

/** Raw stack configuration, as written in `Pulumi.<stack>.yaml` (defaults not yet applied). */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
/** Parsed stack configuration with every default filled in. Validation rules run on this. */
export type ParsedConfig = z.output<typeof stackConfigSchema>;
export type TierConfig = z.output<typeof tierSchema>;
export { TIER_NAMES, type TierName } from "../lambdas/shared/tiers";
