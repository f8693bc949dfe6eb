/**
 * CloudWatch alarm definitions of the backup functions: one pure builder per alarm, taking plain
 * values and returning everything `aws.cloudwatch.MetricAlarm` needs except the actions.
 *
 * Metric names and dimensions are the ones the functions publish (EMF, dimension `Database`):
 * dump: BackupSucceeded, BackupFailed, BackupSizeBytes, BackupDurationSeconds;
 * export: ExportSucceeded, ExportFailed, ExportRows, ExportSizeBytes (tables per run);
 * verify: VerificationSucceeded, VerificationFailed, VerificationCheckFailed (+ dimension Check),
 * BackupAgeSeconds, BackupSizeRatio, RestoreSeconds, RestoreWithinRto, CatalogProblems.
 */

/** The metrics the functions publish, by name; the alarms and the dashboard read these. */
export const FUNCTION_METRICS = {
    backupSucceeded: "BackupSucceeded",
    backupFailed: "BackupFailed",
    backupSizeBytes: "BackupSizeBytes",
    backupDurationSeconds: "BackupDurationSeconds",
    verificationSucceeded: "VerificationSucceeded",
    verificationFailed: "VerificationFailed",
    verificationCheckFailed: "VerificationCheckFailed",
    backupAgeSeconds: "BackupAgeSeconds",
    backupSizeRatio: "BackupSizeRatio",
    restoreSeconds: "RestoreSeconds",
    exportSucceeded: "ExportSucceeded",
    exportFailed: "ExportFailed",
    exportRows: "ExportRows",
} as const;

/** The dimension every function metric carries: the database's logical name. */
export const DATABASE_DIMENSION = "Database";
/** Extra dimension of VerificationCheckFailed: the check's name (freshness, size, checksum, ...). */
export const CHECK_DIMENSION = "Check";

export type ComparisonOperator =
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";

export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";

export type Statistic = "SampleCount" | "Average" | "Sum" | "Minimum" | "Maximum";

/** Everything an alarm is, but its actions. */
export interface AlarmDefinition {
    /** Alarm name, unique in the account and region. */
    readonly name: string;
    /** What it means and what to do: shown in every notification. */
    readonly description: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
    /** Exactly one of statistic and extendedStatistic (`p99`). */
    readonly statistic?: Statistic;
    readonly extendedStatistic?: string;
    /** Seconds: 60 or a multiple of it. */
    readonly period: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly comparisonOperator: ComparisonOperator;
    readonly treatMissingData: TreatMissingData;
    /**
     * Metric math over the metric above (id `m`, with its statistic and period): when given, the
     * alarm compares this expression's value with the threshold instead of the metric's.
     */
    readonly expression?: string;
}

/** Period and number of periods that cover a look-back window, within CloudWatch's limits. */
export interface AlarmWindow {
    readonly period: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
}

/** CloudWatch evaluates at most 7 days back (period x evaluation periods). */
export const MAX_ALARM_WINDOW_SECONDS = 7 * 86_400;
/** ... and a single period is at most one day. */
export const MAX_ALARM_PERIOD_SECONDS = 86_400;

/** Failures (errors, failed checks) are looked at over the last hour. */
export const EVENT_PERIOD_SECONDS = 3_600;

/**
 * A window of at least `seconds` in which every period must breach for the alarm to fire: one
 * period up to a day (rounded up to whole minutes), hourly periods beyond, up to seven days.
 * With missing data treated as breaching, the alarm fires when no good datapoint arrived in the
 * whole window.
 */
export function alarmWindow(seconds: number): AlarmWindow {
    if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new RangeError(`window: ${seconds} seconds is not allowed; expected more than 0`);
    }
    if (seconds > MAX_ALARM_WINDOW_SECONDS) {
        throw new RangeError(`window: ${seconds} seconds is out of range; a CloudWatch alarm looks back at most ${MAX_ALARM_WINDOW_SECONDS} seconds (7 days)`);
    }
    if (seconds <= MAX_ALARM_PERIOD_SECONDS) {
        return { period: Math.ceil(seconds / 60) * 60, evaluationPeriods: 1, datapointsToAlarm: 1 };
    }
    const periods = Math.ceil(seconds / 3_600);
    return { period: 3_600, evaluationPeriods: periods, datapointsToAlarm: periods };
}

const ONE_HOUR: AlarmWindow = { period: EVENT_PERIOD_SECONDS, evaluationPeriods: 1, datapointsToAlarm: 1 };

function positive(name: string, value: number): void {
    if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`${name}: ${value} is not allowed; expected a number greater than 0`);
    }
}

function named(name: string, value: string): void {
    if (value.trim() === "") {
        throw new RangeError(`${name}: "" is not allowed; expected a non-empty name`);
    }
}

/** Common inputs of the per-database alarms. */
export interface DatabaseAlarmInput {
    /** Alarm name prefix, e.g. `pg-backup-prod`. */
    readonly prefix: string;
    /** Metric namespace the functions publish to. */
    readonly namespace: string;
    /** Logical database name (the Database dimension). */
    readonly database: string;
}

function databaseAlarm(input: DatabaseAlarmInput, suffix: string): Pick<AlarmDefinition, "name" | "namespace" | "dimensions"> {
    named("prefix", input.prefix);
    named("namespace", input.namespace);
    named("database", input.database);
    return { name: `${input.prefix}-${input.database}-${suffix}`, namespace: input.namespace, dimensions: { [DATABASE_DIMENSION]: input.database } };
}

/** Whether CloudWatch can watch a window this long (at most 7 days). */
export function fitsAlarmWindow(seconds: number): boolean {
    return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_ALARM_WINDOW_SECONDS;
}

/**
 * Missing backup: no successful dump reported within the allowed age (the RPO, or the dump
 * schedule's longest gap when point-in-time recovery carries the RPO) plus the dump's timeout:
 * a dump that started, i.e. took its snapshot, in time may report success up to its timeout
 * later. No data at all counts as missing. Windows beyond 7 days cannot be watched (throws).
 */
export function backupMissingAlarm(input: DatabaseAlarmInput & { readonly maxAgeMinutes: number; readonly dumpTimeoutSeconds: number }): AlarmDefinition {
    positive("maxAgeMinutes", input.maxAgeMinutes);
    positive("dumpTimeoutSeconds", input.dumpTimeoutSeconds);
    const window = alarmWindow(input.maxAgeMinutes * 60 + input.dumpTimeoutSeconds);
    return {
        ...databaseAlarm(input, "backup-missing"),
        description: `No successful dump of ${input.database} reported in the last ${window.period * window.evaluationPeriods / 60} minutes (${input.maxAgeMinutes} min allowed age plus the dump timeout). Check the dump function's logs and its dead-letter queue; run an on-demand dump.`,
        metricName: FUNCTION_METRICS.backupSucceeded,
        statistic: "Sum",
        ...window,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
    };
}

/**
 * Backup age seen by verification above the allowed age. When verify runs at least weekly, no
 * age reported within one verification interval (plus its timeout) also alarms: nobody is
 * checking. With rarer verification the alarm keeps its state between runs instead.
 */
export function backupAgeAlarm(input: DatabaseAlarmInput & { readonly maxAgeMinutes: number; readonly verifyIntervalMinutes: number; readonly verifyTimeoutSeconds: number }): AlarmDefinition {
    positive("maxAgeMinutes", input.maxAgeMinutes);
    positive("verifyIntervalMinutes", input.verifyIntervalMinutes);
    positive("verifyTimeoutSeconds", input.verifyTimeoutSeconds);
    const seconds = input.verifyIntervalMinutes * 60 + input.verifyTimeoutSeconds;
    const watched = fitsAlarmWindow(seconds);
    return {
        ...databaseAlarm(input, "backup-age"),
        description: `The newest verified backup of ${input.database} is older than ${input.maxAgeMinutes} min` +
            (watched ? ", or the verify function reported no age in its last interval." : " (checked at each verification).") +
            " Check the dump and verify functions.",
        metricName: FUNCTION_METRICS.backupAgeSeconds,
        statistic: "Maximum",
        ...(watched ? alarmWindow(seconds) : { period: MAX_ALARM_PERIOD_SECONDS, evaluationPeriods: 1, datapointsToAlarm: 1 }),
        threshold: input.maxAgeMinutes * 60,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: watched ? "breaching" : "ignore",
    };
}

/** A dump run reported failure. */
export function backupFailedAlarm(input: DatabaseAlarmInput): AlarmDefinition {
    return {
        ...databaseAlarm(input, "backup-failed"),
        description: `A dump of ${input.database} failed in the last hour; nothing it wrote counts as a backup. See the dump function's logs.`,
        metricName: FUNCTION_METRICS.backupFailed,
        statistic: "Sum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}

/** A table export failed; its watermark did not advance, so the next run retries those rows. */
export function exportFailedAlarm(input: DatabaseAlarmInput): AlarmDefinition {
    return {
        ...databaseAlarm(input, "export-failed"),
        description: `Exporting a table of ${input.database} failed in the last hour; its watermark is unchanged and the next run retries. See the export function's logs.`,
        metricName: FUNCTION_METRICS.exportFailed,
        statistic: "Sum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}

/** A verification of the database's newest backup failed (any check). */
export function verificationFailedAlarm(input: DatabaseAlarmInput): AlarmDefinition {
    return {
        ...databaseAlarm(input, "verification-failed"),
        description: `Verification of ${input.database}'s newest backup failed in the last hour (freshness, checksum, size, restore, row counts, RTO or cleanup). The failed checks are in the verify function's logs.`,
        metricName: FUNCTION_METRICS.verificationFailed,
        statistic: "Maximum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}

/** The newest backup's size fell outside the configured bounds of the previous ones (verify's size check). */
export function sizeAnomalyAlarm(input: DatabaseAlarmInput & { readonly minRatio: number; readonly maxRatio: number }): AlarmDefinition {
    positive("minRatio", input.minRatio);
    positive("maxRatio", input.maxRatio);
    const base = databaseAlarm(input, "size-anomaly");
    return {
        ...base,
        dimensions: { ...base.dimensions, [CHECK_DIMENSION]: "size" },
        description: `The newest backup of ${input.database} is outside ${input.minRatio}x..${input.maxRatio}x the median of the previous ones; a sudden drop usually means missing data.`,
        metricName: FUNCTION_METRICS.verificationCheckFailed,
        statistic: "Maximum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}

/** The measured download-and-restore time exceeded the RTO. */
export function restoreTimeAlarm(input: DatabaseAlarmInput & { readonly rtoMinutes: number }): AlarmDefinition {
    positive("rtoMinutes", input.rtoMinutes);
    return {
        ...databaseAlarm(input, "restore-over-rto"),
        description: `Restoring ${input.database}'s newest backup took longer than the RTO (${input.rtoMinutes} min). Restores are getting too slow for the objective.`,
        metricName: FUNCTION_METRICS.restoreSeconds,
        statistic: "Maximum",
        ...ONE_HOUR,
        threshold: input.rtoMinutes * 60,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
    };
}

/** One GiB in bytes: RDS reports FreeStorageSpace in bytes, allocated storage in GiB. */
export const GIB = 1024 ** 3;

/** Share of the allocated storage below which free storage alarms. */
export const FREE_STORAGE_RATIO = 0.2;
/** Share of the timeout above which a function's duration alarms. */
export const DURATION_ALARM_RATIO = 0.8;

/** Hours ahead the free-storage alarm of an instance with storage autoscaling looks. */
export const FREE_STORAGE_FORECAST_HOURS = 24;

/**
 * Metric math over `m`, the instance's FreeStorageSpace (bytes, hourly minimum): the hours until
 * free storage runs out at the rate it shrank over the last hour (RATE is the change per second
 * between consecutive datapoints); a year (8760) while it does not shrink.
 */
export const HOURS_UNTIL_FULL_EXPRESSION = "IF(RATE(m) < 0, m / (-RATE(m) * 3600), 8760)";

/**
 * RDS free storage alarm. With a fixed allocation: free storage below a fraction (default 20 %)
 * of it, for 15 minutes. With storage autoscaling the allocation grows, and the current allocation
 * is not a CloudWatch metric (RDS publishes FreeStorageSpace, not the allocated or used storage:
 * Amazon RDS User Guide, "Amazon CloudWatch metrics for Amazon RDS",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html), so no share of it can
 * be computed; a share of the initial allocation would fire at a few percent of the grown one.
 * RDS grows the storage itself when free space is at most 10 % of the allocation (Amazon RDS User
 * Guide, "Managing capacity automatically with Amazon RDS storage autoscaling",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html), so free
 * storage runs out only when it cannot grow (maximum reached, or faster growth than autoscaling
 * keeps up with). The alarm then forecasts: free storage will run out within 24 hours at the rate
 * it shrank, three hours in a row. Caveat: a fast-growing instance below its maximum may alarm
 * shortly before an autoscaling step; a sudden fill faster than three hours is not forecast.
 */
export function freeStorageAlarm(input: {
    readonly prefix: string;
    readonly database: string;
    readonly instanceIdentifier: string;
    readonly allocatedStorageGb: number;
    /** Storage autoscaling's maximum; omitted: the allocation is fixed. */
    readonly maxAllocatedStorageGb?: number;
    readonly freeRatio?: number;
}): AlarmDefinition {
    named("prefix", input.prefix);
    named("instanceIdentifier", input.instanceIdentifier);
    positive("allocatedStorageGb", input.allocatedStorageGb);
    const ratio = input.freeRatio ?? FREE_STORAGE_RATIO;
    if (!(ratio > 0 && ratio < 1)) {
        throw new RangeError(`freeRatio: ${ratio} is out of range; expected a fraction between 0 and 1`);
    }
    if (input.maxAllocatedStorageGb !== undefined) {
        positive("maxAllocatedStorageGb", input.maxAllocatedStorageGb);
        return {
            name: `${input.prefix}-${input.database}-free-storage`,
            description: `${input.instanceIdentifier} will run out of free storage within ${FREE_STORAGE_FORECAST_HOURS} h at the rate it has shrunk for 3 hours ` +
                `(storage autoscaling up to ${input.maxAllocatedStorageGb} GiB has not kept up, or the maximum is reached). Raise the maximum or free space before writes (and backups) fail.`,
            namespace: "AWS/RDS",
            metricName: "FreeStorageSpace",
            dimensions: { DBInstanceIdentifier: input.instanceIdentifier },
            statistic: "Minimum",
            period: 3600,
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            threshold: FREE_STORAGE_FORECAST_HOURS,
            comparisonOperator: "LessThanThreshold",
            treatMissingData: "notBreaching",
            expression: HOURS_UNTIL_FULL_EXPRESSION,
        };
    }
    return {
        name: `${input.prefix}-${input.database}-free-storage`,
        description: `${input.instanceIdentifier} has less than ${Math.round(ratio * 100)} % of its ${input.allocatedStorageGb} GiB free. Grow the storage before writes (and backups) fail.`,
        namespace: "AWS/RDS",
        metricName: "FreeStorageSpace",
        dimensions: { DBInstanceIdentifier: input.instanceIdentifier },
        statistic: "Minimum",
        period: 300,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: Math.floor(input.allocatedStorageGb * GIB * ratio),
        comparisonOperator: "LessThanThreshold",
        treatMissingData: "notBreaching",
    };
}

/** Common inputs of the per-function alarms. */
export interface FunctionAlarmInput {
    readonly prefix: string;
    /** Short label in the alarm's name, e.g. `dump-orders`, `verify`. */
    readonly label: string;
    readonly functionName: string;
}

/** The function raised an error (its run failed, or it timed out). */
export function functionErrorsAlarm(input: FunctionAlarmInput): AlarmDefinition {
    named("prefix", input.prefix);
    named("functionName", input.functionName);
    return {
        name: `${input.prefix}-${input.label}-errors`,
        description: `The ${input.label} function ${input.functionName} failed in the last hour (error or timeout). See its log group.`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: input.functionName },
        statistic: "Sum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}

/** The function's p99 duration is above a fraction (default 80 %) of its timeout: it will soon time out. */
export function durationNearTimeoutAlarm(input: FunctionAlarmInput & { readonly timeoutSeconds: number; readonly ratio?: number }): AlarmDefinition {
    named("prefix", input.prefix);
    named("functionName", input.functionName);
    positive("timeoutSeconds", input.timeoutSeconds);
    const ratio = input.ratio ?? DURATION_ALARM_RATIO;
    if (!(ratio > 0 && ratio < 1)) {
        throw new RangeError(`ratio: ${ratio} is out of range; expected a fraction between 0 and 1`);
    }
    return {
        name: `${input.prefix}-${input.label}-duration`,
        description: `The ${input.label} function ${input.functionName} ran longer than ${Math.round(ratio * 100)} % of its ${input.timeoutSeconds} s timeout. Raise the timeout or memory before runs start timing out.`,
        namespace: "AWS/Lambda",
        metricName: "Duration",
        dimensions: { FunctionName: input.functionName },
        extendedStatistic: "p99",
        ...ONE_HOUR,
        threshold: Math.round(input.timeoutSeconds * 1000 * ratio),
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
    };
}

/** A scheduled run could not be delivered, or failed after its retries: the dead-letter queue holds it. */
export function deadLetterQueueAlarm(input: { readonly prefix: string; readonly label: string; readonly queueName: string }): AlarmDefinition {
    named("prefix", input.prefix);
    named("queueName", input.queueName);
    return {
        name: `${input.prefix}-${input.label}-dead-letters`,
        description: `The ${input.label} function's dead-letter queue ${input.queueName} holds failed runs. Read the messages for the cause, then purge or redrive them.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: input.queueName },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
    };
}

/**
 * A Fargate runner's task stopped without succeeding, whether or not its handler could report:
 * an image pull or network failure (TaskFailedToStart), an out-of-memory kill, a failed run, a
 * stopped task. The runner's EventBridge rule matches those "ECS Task State Change" events, and
 * EventBridge counts each rule's matches as TriggeredRules in AWS/Events with the dimension
 * RuleName, for rules of the default event bus (Amazon EventBridge User Guide, "Monitoring Amazon
 * EventBridge": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
 * The metric exists only once the rule has matched, so no data is not a breach.
 */
export function taskFailedAlarm(input: { readonly prefix: string; readonly label: string; readonly ruleName: string; readonly logGroupName: string }): AlarmDefinition {
    named("prefix", input.prefix);
    named("ruleName", input.ruleName);
    named("logGroupName", input.logGroupName);
    return {
        name: `${input.prefix}-${input.label}-task-failed`,
        description: `A ${input.label} Fargate task stopped without succeeding in the last hour (failed to start, out of memory, exit code not 0, or stopped). ` +
            `Its stop event, with stopCode and stoppedReason, and the run's output are in the log group ${input.logGroupName}; see the runbook.`,
        namespace: "AWS/Events",
        metricName: "TriggeredRules",
        dimensions: { RuleName: input.ruleName },
        statistic: "Sum",
        ...ONE_HOUR,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
    };
}
