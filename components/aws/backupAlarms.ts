import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
    AlarmDefinition,
    fitsAlarmWindow,
    backupAgeAlarm,
    backupFailedAlarm,
    backupMissingAlarm,
    deadLetterQueueAlarm,
    durationNearTimeoutAlarm,
    exportFailedAlarm,
    freeStorageAlarm,
    functionErrorsAlarm,
    restoreTimeAlarm,
    sizeAnomalyAlarm,
    taskFailedAlarm,
    verificationFailedAlarm,
} from "./documents/alarms";

/** A database whose backups are watched. */
export interface AlarmedDatabase {
    /** Logical name (the functions' Database dimension). Required. */
    readonly name: string;
    /** @default true - its dumps are verified: age, size, verification and restore-time alarms */
    readonly verified?: boolean;
    /** @default false - tables of it are exported: adds the export-failed alarm */
    readonly exported?: boolean;
    /** @default none - RDS instance identifier: adds the free-storage alarm (needs allocatedStorageGb) */
    readonly instanceIdentifier?: pulumi.Input<string>;
    /** @default none - allocated storage in GiB, the base of the free-storage threshold */
    readonly allocatedStorageGb?: number;
    /** @default none (fixed allocation) - storage autoscaling's maximum in GiB: the free-storage alarm then forecasts exhaustion instead */
    readonly maxAllocatedStorageGb?: number;
    /** @default dumpTimeoutSeconds - seconds a dump of it may take to report, 1..1209600 (a Fargate dump's expected duration, beyond Lambda's 900) */
    readonly dumpSeconds?: number;
}

/** A function whose errors, duration and dead-letter queue are watched. */
export interface AlarmedFunction {
    /** Unique short label in alarm names, e.g. `dump-orders`, `verify`. Required. */
    readonly label: string;
    readonly functionName: pulumi.Input<string>;
    readonly timeoutSeconds: number;
    readonly deadLetterQueueName: pulumi.Input<string>;
}

/**
 * A scheduled Fargate task (FargateRunner). It publishes no Lambda metrics: its dead-letter queue
 * and its task-failure rule (tasks that stopped without succeeding) are watched here; its runs'
 * outcomes reach the per-database alarms through the metrics the handler writes (EMF) to its log group.
 */
export interface AlarmedRunner {
    /** Unique short label in alarm names (shared with the functions' labels), e.g. `dump-orders`. Required. */
    readonly label: string;
    readonly deadLetterQueueName: pulumi.Input<string>;
    /** The runner's task-failure EventBridge rule (FargateRunner.taskFailedRuleName). Required. */
    readonly taskFailedRuleName: pulumi.Input<string>;
    /** The runner's log group, named in the alarm's description. Required. */
    readonly logGroupName: pulumi.Input<string>;
}

export interface BackupAlarmsArgs {
    /** SNS topic every alarm notifies, on ALARM and on OK. Required. */
    readonly alertTopicArn: pulumi.Input<string>;
    /** Recovery point objective in minutes. Required. */
    readonly rpoMinutes: number;
    /**
     * Age a backup may reach before it counts as missing (the dump schedule's longest gap when point-in-time recovery carries the RPO).
     * @default rpoMinutes
     */
    readonly backupMaxAgeMinutes?: number;
    /** Recovery time objective in minutes: restore-time threshold. Required. */
    readonly rtoMinutes: number;
    /** Databases to watch. Required (may be empty when only functions are watched). */
    readonly databases: readonly AlarmedDatabase[];
    /** Functions to watch. Required (may be empty). */
    readonly functions: readonly AlarmedFunction[];
    /**
     * Fargate runners whose dead-letter queues are watched.
     * @default []
     */
    readonly runners?: readonly AlarmedRunner[];
    /**
     * The dump functions' timeout: a snapshot taken within the RPO may report up to this much later.
     * @default 900
     */
    readonly dumpTimeoutSeconds?: number;
    /**
     * Longest gap between two verify runs, in minutes: the age alarm's window (beyond 7 days it checks at each run only).
     * @default 1440
     */
    readonly verifyIntervalMinutes?: number;
    /**
     * The verify function's timeout.
     * @default 900
     */
    readonly verifyTimeoutSeconds?: number;
    /**
     * The size bounds verify applies (quoted in the size alarm).
     * @default { minRatio: 0.5, maxRatio: 3 }
     */
    readonly sizeBounds?: { readonly minRatio: number; readonly maxRatio: number };
    /**
     * CloudWatch namespace the functions publish to.
     * @default "PgBackupStack"
     */
    readonly namespace?: string;
    /**
     * Start of every alarm name.
     * @default the component name
     */
    readonly alarmNamePrefix?: string;
    /**
     * Tags of every alarm.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type Resolved = Required<BackupAlarmsArgs>;

const DEFAULTS = {
    dumpTimeoutSeconds: 900,
    verifyIntervalMinutes: 1440,
    verifyTimeoutSeconds: 900,
    sizeBounds: { minRatio: 0.5, maxRatio: 3 },
    namespace: "PgBackupStack",
    tags: {} as Readonly<Record<string, string>>,
};

function withDefaults(name: string, args: BackupAlarmsArgs): Resolved {
    return {
        ...args,
        backupMaxAgeMinutes: args.backupMaxAgeMinutes ?? args.rpoMinutes,
        dumpTimeoutSeconds: args.dumpTimeoutSeconds ?? DEFAULTS.dumpTimeoutSeconds,
        verifyIntervalMinutes: args.verifyIntervalMinutes ?? DEFAULTS.verifyIntervalMinutes,
        verifyTimeoutSeconds: args.verifyTimeoutSeconds ?? DEFAULTS.verifyTimeoutSeconds,
        sizeBounds: args.sizeBounds ?? DEFAULTS.sizeBounds,
        namespace: args.namespace ?? DEFAULTS.namespace,
        runners: args.runners ?? [],
        alarmNamePrefix: args.alarmNamePrefix ?? name,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/**
 * The backup stack's CloudWatch alarms, each notifying the alert topic when it fires and when it
 * clears: per database, missing backup (freshness against the RPO, no data counts as missing),
 * failed dump, failed table export, and for verified databases the verified backup age, failed
 * verification, size anomaly and restore time over the RTO; RDS free storage below 20 %; per
 * function, errors, duration near the timeout and a non-empty dead-letter queue; per Fargate
 * runner, a non-empty dead-letter queue and a task that stopped without succeeding.
 */
export class BackupAlarms extends pulumi.ComponentResource {
    /** ARNs of every alarm, for the dashboard. */
    public readonly alarmArns: pulumi.Output<string[]>;
    /** Names of every alarm. */
    public readonly alarmNames: pulumi.Output<string[]>;

    constructor(name: string, args: BackupAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:BackupAlarms", name, {}, opts);
        const a = withDefaults(name, args);
        this.validate(a);
        const prefix = a.alarmNamePrefix;
        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        const add = (childSuffix: string, definition: pulumi.Input<AlarmDefinition>): void => {
            alarms.push(this.alarm(`${name}-${childSuffix}`, definition, a));
        };

        for (const db of a.databases) {
            const base = { prefix, namespace: a.namespace, database: db.name };
            const dumpSeconds = db.dumpSeconds ?? a.dumpTimeoutSeconds;
            if (fitsAlarmWindow(a.backupMaxAgeMinutes * 60 + dumpSeconds)) {
                add(`${db.name}-backup-missing`, backupMissingAlarm({ ...base, maxAgeMinutes: a.backupMaxAgeMinutes, dumpTimeoutSeconds: dumpSeconds }));
            } else {
                pulumi.log.warn(`${db.name}: no missing-backup alarm; backups may be ${a.backupMaxAgeMinutes} min apart, longer than the 7 days a CloudWatch alarm looks back`, this);
            }
            add(`${db.name}-backup-failed`, backupFailedAlarm(base));
            if (db.verified !== false) {
                add(`${db.name}-backup-age`, backupAgeAlarm({
                    ...base, maxAgeMinutes: a.backupMaxAgeMinutes, verifyIntervalMinutes: a.verifyIntervalMinutes, verifyTimeoutSeconds: a.verifyTimeoutSeconds,
                }));
                add(`${db.name}-verification-failed`, verificationFailedAlarm(base));
                add(`${db.name}-size-anomaly`, sizeAnomalyAlarm({ ...base, ...a.sizeBounds }));
                add(`${db.name}-restore-over-rto`, restoreTimeAlarm({ ...base, rtoMinutes: a.rtoMinutes }));
            }
            if (db.exported === true) {
                add(`${db.name}-export-failed`, exportFailedAlarm(base));
            }
            if (db.instanceIdentifier !== undefined && db.allocatedStorageGb !== undefined) {
                const storage = { allocatedStorageGb: db.allocatedStorageGb, ...(db.maxAllocatedStorageGb !== undefined ? { maxAllocatedStorageGb: db.maxAllocatedStorageGb } : {}) };
                add(`${db.name}-free-storage`, pulumi.output(db.instanceIdentifier).apply((instanceIdentifier) =>
                    freeStorageAlarm({ prefix, database: db.name, instanceIdentifier, ...storage })));
            }
        }
        for (const fn of a.functions) {
            add(`${fn.label}-errors`, pulumi.output(fn.functionName).apply((functionName) => functionErrorsAlarm({ prefix, label: fn.label, functionName })));
            add(`${fn.label}-duration`, pulumi.output(fn.functionName).apply((functionName) =>
                durationNearTimeoutAlarm({ prefix, label: fn.label, functionName, timeoutSeconds: fn.timeoutSeconds })));
            add(`${fn.label}-dead-letters`, pulumi.output(fn.deadLetterQueueName).apply((queueName) => deadLetterQueueAlarm({ prefix, label: fn.label, queueName })));
        }
        for (const runner of a.runners) {
            add(`${runner.label}-dead-letters`, pulumi.output(runner.deadLetterQueueName).apply((queueName) => deadLetterQueueAlarm({ prefix, label: runner.label, queueName })));
            add(`${runner.label}-task-failed`, pulumi.all([runner.taskFailedRuleName, runner.logGroupName]).apply(([ruleName, logGroupName]) =>
                taskFailedAlarm({ prefix, label: runner.label, ruleName, logGroupName })));
        }

        this.alarmArns = pulumi.all(alarms.map((alarm) => alarm.arn));
        this.alarmNames = pulumi.all(alarms.map((alarm) => alarm.name));
        this.registerOutputs({ alarmArns: this.alarmArns, alarmNames: this.alarmNames });
    }

    private alarm(childName: string, definition: pulumi.Input<AlarmDefinition>, a: Resolved): aws.cloudwatch.MetricAlarm {
        const d = pulumi.output(definition);
        return new aws.cloudwatch.MetricAlarm(childName, {
            name: d.name,
            alarmDescription: d.description,
            namespace: d.apply((x) => (x.expression === undefined ? x.namespace : undefined)),
            metricName: d.apply((x) => (x.expression === undefined ? x.metricName : undefined)),
            dimensions: d.apply((x) => (x.expression === undefined ? x.dimensions : undefined)),
            statistic: d.apply((x) => (x.expression === undefined ? x.statistic : undefined)),
            extendedStatistic: d.apply((x) => (x.expression === undefined ? x.extendedStatistic : undefined)),
            period: d.apply((x) => (x.expression === undefined ? x.period : undefined)),
            metricQueries: d.apply(metricQueries),
            evaluationPeriods: d.evaluationPeriods,
            datapointsToAlarm: d.datapointsToAlarm,
            threshold: d.threshold,
            comparisonOperator: d.comparisonOperator,
            treatMissingData: d.treatMissingData,
            actionsEnabled: true,
            alarmActions: [a.alertTopicArn],
            okActions: [a.alertTopicArn],
            tags: a.tags,
        }, { parent: this });
    }

    /** Checks every plain argument before anything is created. */
    private validate(a: Resolved): void {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        checkInt(fail, "rpoMinutes", a.rpoMinutes, 1, 44640);
        checkInt(fail, "rtoMinutes", a.rtoMinutes, 1, 44640);
        checkInt(fail, "dumpTimeoutSeconds", a.dumpTimeoutSeconds, 1, 900);
        checkInt(fail, "verifyIntervalMinutes", a.verifyIntervalMinutes, 1, 527040);
        checkInt(fail, "verifyTimeoutSeconds", a.verifyTimeoutSeconds, 1, 900);
        checkInt(fail, "backupMaxAgeMinutes", a.backupMaxAgeMinutes, 1, 527040);
        if (!/^[A-Za-z0-9._/#:-]{1,255}$/.test(a.namespace)) {
            throw fail(`namespace: "${a.namespace}" is not allowed; expected 1-255 of letters, digits and . _ / # : -`);
        }
        if (!/^[A-Za-z0-9_.-]{1,128}$/.test(a.alarmNamePrefix)) {
            throw fail(`alarmNamePrefix: "${a.alarmNamePrefix}" is not allowed; expected 1-128 letters, digits, "-", "_" or "."`);
        }
        if (!(a.sizeBounds.minRatio > 0 && a.sizeBounds.minRatio <= 1 && a.sizeBounds.maxRatio >= 1)) {
            throw fail(`sizeBounds: ${JSON.stringify(a.sizeBounds)} is not allowed; expected 0 < minRatio <= 1 <= maxRatio`);
        }
        if (a.databases.length === 0 && a.functions.length === 0 && a.runners.length === 0) {
            throw fail("databases and functions: both are empty; there is nothing to watch");
        }
        const seen = new Set<string>();
        for (const [i, db] of a.databases.entries()) {
            if (!/^[a-z][a-z0-9-]{0,39}$/.test(db.name)) {
                throw fail(`databases[${i}].name: "${db.name}" is not allowed; expected the logical name (lower-case letters, digits, "-")`);
            }
            if (seen.has(db.name)) throw fail(`databases[${i}].name: "${db.name}" is listed twice`);
            seen.add(db.name);
            if ((db.instanceIdentifier === undefined) !== (db.allocatedStorageGb === undefined)) {
                throw fail(`databases[${i}]: instanceIdentifier and allocatedStorageGb go together (the free-storage alarm needs both)`);
            }
            if (db.allocatedStorageGb !== undefined) checkInt(fail, `databases[${i}].allocatedStorageGb`, db.allocatedStorageGb, 20, 65536);
            if (db.dumpSeconds !== undefined) checkInt(fail, `databases[${i}].dumpSeconds`, db.dumpSeconds, 1, 1_209_600);
        }
        const labels = new Set<string>();
        for (const [i, fn] of a.functions.entries()) {
            if (!/^[a-z][a-z0-9-]{0,59}$/.test(fn.label)) {
                throw fail(`functions[${i}].label: "${fn.label}" is not allowed; expected lower-case letters, digits and "-"`);
            }
            if (labels.has(fn.label)) throw fail(`functions[${i}].label: "${fn.label}" is used twice; alarm names would collide`);
            labels.add(fn.label);
            checkInt(fail, `functions[${i}].timeoutSeconds`, fn.timeoutSeconds, 1, 900);
        }
        for (const [i, runner] of a.runners.entries()) {
            if (!/^[a-z][a-z0-9-]{0,59}$/.test(runner.label)) {
                throw fail(`runners[${i}].label: "${runner.label}" is not allowed; expected lower-case letters, digits and "-"`);
            }
            if (labels.has(runner.label)) throw fail(`runners[${i}].label: "${runner.label}" is used twice; alarm names would collide`);
            labels.add(runner.label);
        }
    }
}

function checkInt(fail: (m: string) => Error, key: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${key}: ${value} is out of range ${min}..${max}`);
}

/** An alarm on metric math: the metric as `m` (not returned), the expression as the alarm's value. */
function metricQueries(d: AlarmDefinition): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] | undefined {
    if (d.expression === undefined) return undefined;
    return [
        {
            id: "m",
            metric: { namespace: d.namespace, metricName: d.metricName, dimensions: { ...d.dimensions }, period: d.period, stat: d.statistic ?? d.extendedStatistic ?? "Average" },
            returnData: false,
        },
        { id: "e", expression: d.expression, label: d.name, returnData: true },
    ];
}
