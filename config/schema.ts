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
    keepDays: positiveInt,
    standardIaAfterDays: positiveInt.optional(),
    glacierAfterDays: positiveInt.optional(),
    deepArchiveAfterDays: positiveInt.optional(),
    /** Accept paying a class's minimum storage duration for objects that expire before it ends. */
    allowEarlyDeletion: z.boolean().prefault(false),
});

const weekday = z.enum(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]);

export const stackConfigSchema = z.strictObject({
    /** Stack's environment name; `prod` switches on the production guarantees. */
    environment: logicalName,
    /** Deletion protection and Pulumi `protect` on stateful resources; defaults to true in prod. */
    protect: z.boolean().optional(),
    objectives: z.strictObject({
        /** Recovery point objective: the most data, in minutes, the stack may lose. */
        rpoMinutes: z.int().min(1).max(44640),
        /** Recovery time objective: the longest a restore may take, in minutes. */
        rtoMinutes: z.int().min(1).max(44640),
    }),
    /** AWS regions of the stack; omitted: an Azure-only stack, which declares no AWS resource (needs `azure`). */
    regions: z.strictObject({
        primary: z.string(),
        dr: z.string(),
    }).optional(),
    retention: z.strictObject({
        daily: tierSchema,
        weekly: tierSchema,
        monthly: tierSchema,
        /** UTC weekday whose first dump is promoted to the weekly tier. */
        weeklyOn: weekday.prefault("SUN"),
        /** UTC day of month whose first dump is promoted to the monthly tier. */
        monthlyOn: z.int().min(1).max(28).prefault(1),
    }),
    storage: z.strictObject({
        /** Key prefix of the dumps. */
        prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,62}$/).prefault("backups"),
        /** Key prefix of the table exports. */
        exportPrefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,62}$/).prefault("exports"),
        /** Days a table export is kept (hourly incremental exports rarely need more than a few days). */
        exportKeepDays: positiveInt.prefault(30),
        /** Days a replaced or deleted object version is kept. */
        noncurrentVersionExpireDays: positiveInt.prefault(30),
        /** Days after which an unfinished multipart upload is aborted. */
        abortIncompleteUploadDays: positiveInt.prefault(1),
        objectLock: z.strictObject({
            mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).optional(),
            days: positiveInt.optional(),
        }).optional(),
        /** Replicate the backup bucket to the DR region. */
        replication: z.boolean().prefault(true),
        /** Days the server access logs are kept. */
        accessLogExpireDays: positiveInt.prefault(365),
        /** Let `pulumi destroy` delete non-empty buckets (never in prod). */
        forceDestroy: z.boolean().prefault(false),
    }).prefault({}),
    schedules: z.strictObject({
        /** EventBridge Scheduler expression of the dump: rate(...), cron(...) or at(...). */
        dump: z.string(),
        export: z.string().optional(),
        verify: z.string().prefault("cron(30 4 * * ? *)"),
    }),
    alerts: z.strictObject({
        emails: z.array(z.email()).prefault([]),
        /** HTTPS endpoints (e.g. chat webhooks) subscribed to the alert topic: secrets. */
        webhookUrls: z.array(secretString).prefault([]),
        /** Slack channels subscribed to both alert topics through AWS Chatbot (AWS stacks). */
        slack: z.array(slackChannelSchema).prefault([]),
        /** Microsoft Teams channels subscribed to both alert topics through AWS Chatbot (AWS stacks). */
        teams: z.array(teamsChannelSchema).prefault([]),
    }).prefault({}),
    functions: functionsSchema.prefault({}),
    aws: awsSchema.prefault({}),
    azure: azureSchema.optional(),
});

/** Raw stack configuration, as written in `Pulumi.<stack>.yaml` (defaults not yet applied). */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
/** Parsed stack configuration with every default filled in. Validation rules run on this. */
export type ParsedConfig = z.output<typeof stackConfigSchema>;
export type TierConfig = z.output<typeof tierSchema>;
export { TIER_NAMES, type TierName } from "../lambdas/shared/tiers";
