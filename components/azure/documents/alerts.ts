/**
 * Azure Monitor alert definitions for the backup stack: an action group's receivers, the
 * metric alerts on Flexible Servers and the backup storage account, and the servers' Resource
 * Health activity-log alerts. Pure functions of plain
 * values; the component adds the scopes (resource ids) and the action group.
 */

export const FLEXIBLE_SERVER_NAMESPACE = "Microsoft.DBforPostgreSQL/flexibleServers";
export const STORAGE_ACCOUNT_NAMESPACE = "Microsoft.Storage/storageAccounts";

const GIB = 1024 ** 3;

/** Azure Monitor severities: 0 critical, 1 error, 2 warning, 3 informational, 4 verbose. */
export type AlertSeverity = 0 | 1 | 2 | 3 | 4;

export interface StaticMetricCriterion {
    readonly criterionType: "StaticThresholdCriterion";
    readonly name: string;
    readonly metricName: string;
    readonly metricNamespace: string;
    readonly operator: "GreaterThan" | "LessThan";
    readonly threshold: number;
    readonly timeAggregation: "Average" | "Maximum" | "Minimum";
}

/** A metric alert on one resource, without its scope and actions. */
export interface MetricAlertDefinition {
    readonly description: string;
    readonly severity: AlertSeverity;
    /** ISO 8601 duration between evaluations. */
    readonly evaluationFrequency: string;
    /** ISO 8601 duration of the data each evaluation looks at. */
    readonly windowSize: string;
    readonly autoMitigate: true;
    readonly criteria: {
        readonly odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria";
        readonly allOf: [StaticMetricCriterion];
    };
}

function singleCriterion(
    head: Omit<MetricAlertDefinition, "autoMitigate" | "criteria">,
    criterion: Omit<StaticMetricCriterion, "criterionType">,
): MetricAlertDefinition {
    return {
        ...head,
        autoMitigate: true,
        criteria: {
            odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            allOf: [{ criterionType: "StaticThresholdCriterion", ...criterion }],
        },
    };
}

function requirePositive(name: string, value: number): void {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name}: ${value} must be a positive number`);
}

/**
 * Backup storage of a server above `thresholdGb`. Azure includes backup storage up to the
 * server's provisioned storage at no charge, so that size is the natural threshold: above it,
 * retention or change volume costs money and deserves a look. Informational, checked hourly.
 */
export function backupStorageUsedAlert(server: string, thresholdGb: number): MetricAlertDefinition {
    requirePositive("thresholdGb", thresholdGb);
    return singleCriterion(
        {
            description: `${server}: backup storage above ${thresholdGb} GiB (the free allowance is the provisioned storage)`,
            severity: 3,
            evaluationFrequency: "PT1H",
            windowSize: "PT6H",
        },
        {
            name: "backup-storage-used",
            metricName: "backup_storage_used",
            metricNamespace: FLEXIBLE_SERVER_NAMESPACE,
            operator: "GreaterThan",
            threshold: thresholdGb * GIB,
            timeAggregation: "Maximum",
        },
    );
}

/** Storage of a server fuller than `percent`: a full server stops accepting writes and backups. */
export function storagePercentAlert(server: string, percent: number): MetricAlertDefinition {
    if (!Number.isFinite(percent) || percent <= 0 || percent >= 100) {
        throw new RangeError(`percent: ${percent} is out of range (0, 100)`);
    }
    return singleCriterion(
        {
            description: `${server}: storage more than ${percent} % used`,
            severity: 2,
            evaluationFrequency: "PT5M",
            windowSize: "PT30M",
        },
        {
            name: "storage-percent",
            metricName: "storage_percent",
            metricNamespace: FLEXIBLE_SERVER_NAMESPACE,
            operator: "GreaterThan",
            threshold: percent,
            timeAggregation: "Average",
        },
    );
}

/**
 * The server is down: `is_db_alive` (1 up, 0 down) stayed below 1 for five whole minutes. The
 * maximum, not the average, so one lost sample during a failover does not page anyone.
 */
export function serverAvailabilityAlert(server: string): MetricAlertDefinition {
    return singleCriterion(
        {
            description: `${server}: server not available for 5 minutes`,
            severity: 1,
            evaluationFrequency: "PT1M",
            windowSize: "PT5M",
        },
        {
            name: "is-db-alive",
            metricName: "is_db_alive",
            metricNamespace: FLEXIBLE_SERVER_NAMESPACE,
            operator: "LessThan",
            threshold: 1,
            timeAggregation: "Maximum",
        },
    );
}

/** One condition of an activity-log alert: a field equal to a value, or any of several. */
export interface ActivityLogCondition {
    readonly field?: string;
    readonly equals?: string;
    readonly anyOf?: { readonly field: string; readonly equals: string }[];
}

/** An activity-log alert on one resource, without its scope and actions. */
export interface ActivityLogAlertDefinition {
    readonly description: string;
    readonly condition: { readonly allOf: ActivityLogCondition[] };
}

/** Resource Health states that mean the server may not be serving. */
export const UNHEALTHY_STATES = ["Unavailable", "Degraded", "Unknown"] as const;

/**
 * Azure Resource Health reports the server unavailable, degraded or unknown. The is_db_alive
 * metric alert fires only on a reported 0, and an outage that stops the metric reports
 * nothing; Resource Health still records the event in the activity log ("Configure Resource
 * Health alerts using Resource Manager templates",
 * https://learn.microsoft.com/azure/service-health/resource-health-alert-arm-template-guide).
 */
export function resourceHealthAlert(server: string): ActivityLogAlertDefinition {
    return {
        description: `${server}: Azure Resource Health reports the server ${UNHEALTHY_STATES.join(", ").toLowerCase()}`,
        condition: {
            allOf: [
                { field: "category", equals: "ResourceHealth" },
                { anyOf: UNHEALTHY_STATES.map((state) => ({ field: "properties.currentHealthStatus", equals: state })) },
            ],
        },
    };
}

/**
 * The backup storage account holds more than `thresholdGb`: runaway exports, or a lifecycle that
 * does not delete. UsedCapacity is reported hourly, so the window is several hours.
 */
export function storageAccountCapacityAlert(account: string, thresholdGb: number): MetricAlertDefinition {
    requirePositive("thresholdGb", thresholdGb);
    return singleCriterion(
        {
            description: `${account}: storage account holds more than ${thresholdGb} GiB`,
            severity: 3,
            evaluationFrequency: "PT1H",
            windowSize: "PT6H",
        },
        {
            name: "used-capacity",
            metricName: "UsedCapacity",
            metricNamespace: STORAGE_ACCOUNT_NAMESPACE,
            operator: "GreaterThan",
            threshold: thresholdGb * GIB,
            timeAggregation: "Average",
        },
    );
}

export interface EmailReceiver {
    readonly name: string;
    readonly emailAddress: string;
    readonly useCommonAlertSchema: true;
}

export interface WebhookReceiver {
    readonly name: string;
    readonly serviceUri: string;
    readonly useCommonAlertSchema: true;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** One receiver per address, named by position (`email-0`, ...); duplicates are refused. */
export function emailReceivers(emails: readonly string[]): EmailReceiver[] {
    const seen = new Set<string>();
    return emails.map((emailAddress, i) => {
        if (!EMAIL.test(emailAddress)) throw new RangeError(`emails[${i}]: "${emailAddress}" is not an email address`);
        const key = emailAddress.toLowerCase();
        if (seen.has(key)) throw new RangeError(`emails[${i}]: "${emailAddress}" is listed twice`);
        seen.add(key);
        return { name: `email-${i}`, emailAddress, useCommonAlertSchema: true };
    });
}

/** Whether a webhook endpoint is an absolute https URL with a host. */
export function isHttpsUrl(url: string): boolean {
    return /^https:\/\/[^\s/?#]+/.test(url);
}

/** One receiver per HTTPS endpoint, named by position (`webhook-0`, ...); the URL is never echoed in errors. */
export function webhookReceivers(urls: readonly string[]): WebhookReceiver[] {
    return urls.map((serviceUri, i) => {
        if (!isHttpsUrl(serviceUri)) {
            throw new RangeError(`webhookUrls[${i}]: (secret) must be an https:// URL`);
        }
        return { name: `webhook-${i}`, serviceUri, useCommonAlertSchema: true };
    });
}

/**
 * The action group's short name (shown in SMS and emails; at most 12 characters): the letters
 * and digits of `name`, cut to 12.
 */
export function actionGroupShortName(name: string): string {
    const short = name.replace(/[^A-Za-z0-9]/g, "").slice(0, 12);
    if (short.length === 0) throw new RangeError(`name: "${name}" has no letters or digits to make a short name from`);
    return short;
}
