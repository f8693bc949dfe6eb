import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import {
    MetricAlertDefinition,
    actionGroupShortName,
    backupStorageUsedAlert,
    emailReceivers,
    isHttpsUrl,
    resourceHealthAlert,
    serverAvailabilityAlert,
    storageAccountCapacityAlert,
    storagePercentAlert,
    webhookReceivers,
} from "./documents/alerts";

/** A Flexible Server to watch. */
export interface AlertedServer {
    /** Logical name: part of the alert names and descriptions (1-40 lower-case letters, digits, '-'). */
    readonly key: string;
    /** ARM id of the server. */
    readonly id: pulumi.Input<string>;
    /** Its provisioned storage, GiB: the default backup-storage threshold (Azure's free allowance). */
    readonly storageSizeGb: number;
    /** Backup storage above this many GiB raises an alert. @default storageSizeGb */
    readonly backupStorageThresholdGb?: number;
}

/** The backup storage account to watch. */
export interface AlertedStorageAccount {
    /** ARM id of the account. */
    readonly id: pulumi.Input<string>;
    /** UsedCapacity above this many GiB raises an alert. */
    readonly capacityThresholdGb: number;
}

export interface AzureBackupAlertsArgs {
    /** Resource group of the action group and the alert rules. @default none - required */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Flexible Servers: backup storage used, storage above `storagePercentThreshold`, not available (metric), Resource Health unhealthy (activity log). @default none */
    readonly servers?: readonly AlertedServer[];
    /** Storage account: used capacity. @default none */
    readonly storageAccount?: AlertedStorageAccount;
    /** Email receivers of the action group. @default none */
    readonly emails?: readonly string[];
    /** HTTPS webhook receivers (e.g. chat); secrets, never logged. @default none */
    readonly webhookUrls?: readonly pulumi.Input<string>[];
    /** Server storage percentage above which to alert (exclusive, 1..99). @default 80 */
    readonly storagePercentThreshold?: number;
    /** Short name of the action group (shown in notifications, at most 12 characters). @default the component name's letters and digits, cut to 12 */
    readonly actionGroupShortName?: string;
    /** Tags on every rule and the action group. @default none */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

type ResolvedArgs = Required<Omit<AzureBackupAlertsArgs, "storageAccount" | "tags">> &
    Pick<AzureBackupAlertsArgs, "storageAccount" | "tags">;

/** Every default of {@link AzureBackupAlertsArgs}, filled in one place. */
function withDefaults(name: string, args: AzureBackupAlertsArgs): ResolvedArgs {
    return {
        ...args,
        servers: args.servers ?? [],
        emails: args.emails ?? [],
        webhookUrls: args.webhookUrls ?? [],
        storagePercentThreshold: args.storagePercentThreshold ?? 80,
        actionGroupShortName: args.actionGroupShortName ?? actionGroupShortName(name),
    };
}

/**
 * Azure Monitor action group (email and webhook receivers), metric alerts on the backup
 * stack's Flexible Servers (backup storage used, storage percent, availability) and storage
 * account (used capacity), and a Resource Health activity-log alert per server.
 */
export class AzureBackupAlerts extends pulumi.ComponentResource {
    /** ARM id of the action group the alerts notify. */
    public readonly actionGroupId: pulumi.Output<string>;
    /** ARM ids of the metric alert rules, by rule suffix (`<server>-not-alive`, `storage-capacity`, ...). */
    public readonly alertIds: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: AzureBackupAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:azure:AzureBackupAlerts", name, {}, opts);
        const a = this.resolve(name, args);
        const emails = this.attempt(() => emailReceivers(a.emails));
        if (a.emails.length + a.webhookUrls.length === 0) {
            pulumi.log.warn("emails and webhookUrls are both empty: the alerts will notify nobody", this);
        }

        const actionGroup = new monitor.ActionGroup(`${name}-action-group`, {
            resourceGroupName: a.resourceGroupName,
            location: "Global",
            enabled: true,
            groupShortName: a.actionGroupShortName,
            emailReceivers: emails,
            webhookReceivers: pulumi.secret(pulumi.all([...a.webhookUrls]).apply((urls) => webhookReceivers(urls))),
            ...(a.tags !== undefined ? { tags: a.tags } : {}),
        }, { parent: this });

        const definitions: { suffix: string; scope: pulumi.Input<string>; definition: MetricAlertDefinition }[] = [];
        for (const server of a.servers) {
            const threshold = server.backupStorageThresholdGb ?? server.storageSizeGb;
            definitions.push(
                { suffix: `${server.key}-backup-storage`, scope: server.id, definition: backupStorageUsedAlert(server.key, threshold) },
                { suffix: `${server.key}-storage-percent`, scope: server.id, definition: storagePercentAlert(server.key, a.storagePercentThreshold) },
                { suffix: `${server.key}-not-alive`, scope: server.id, definition: serverAvailabilityAlert(server.key) },
            );
        }
        if (a.storageAccount !== undefined) {
            definitions.push({
                suffix: "storage-capacity",
                scope: a.storageAccount.id,
                definition: storageAccountCapacityAlert(name, a.storageAccount.capacityThresholdGb),
            });
        }

        const alerts = definitions.map(({ suffix, scope, definition }) => {
            const alert = new monitor.MetricAlert(`${name}-${suffix}`, {
                resourceGroupName: a.resourceGroupName,
                location: "global",
                enabled: true,
                scopes: [scope],
                actions: [{ actionGroupId: actionGroup.id }],
                ...definition,
                ...(a.tags !== undefined ? { tags: a.tags } : {}),
            }, { parent: this });
            return { suffix, id: alert.id };
        });

        for (const server of a.servers) {
            new monitor.ActivityLogAlert(`${name}-${server.key}-resource-health`, {
                resourceGroupName: a.resourceGroupName,
                location: "global",
                enabled: true,
                scopes: [server.id],
                actions: { actionGroups: [{ actionGroupId: actionGroup.id }] },
                ...resourceHealthAlert(server.key),
                ...(a.tags !== undefined ? { tags: a.tags } : {}),
            }, { parent: this });
        }

        this.actionGroupId = actionGroup.id;
        this.alertIds = pulumi.all(alerts.map((x) => x.id)).apply((ids) =>
            Object.fromEntries(alerts.map((x, i) => [x.suffix, ids[i]])));

        this.registerOutputs({ actionGroupId: this.actionGroupId, alertIds: this.alertIds });
    }

    private attempt<T>(build: () => T): T {
        try {
            return build();
        } catch (e) {
            throw new pulumi.ResourceError(e instanceof Error ? e.message : String(e), this);
        }
    }

    private resolve(name: string, args: AzureBackupAlertsArgs): ResolvedArgs {
        const a = this.attempt(() => withDefaults(name, args));
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        if (!/^[A-Za-z0-9]{1,12}$/.test(a.actionGroupShortName)) {
            fail(`actionGroupShortName: "${a.actionGroupShortName}" must be 1-12 letters and digits`);
        }
        const p = a.storagePercentThreshold;
        if (!Number.isInteger(p) || p < 1 || p > 99) fail(`storagePercentThreshold: ${p} is out of range 1..99`);
        const keys = new Set<string>();
        a.servers.forEach((s, i) => {
            if (!/^[a-z][a-z0-9-]{0,39}$/.test(s.key)) {
                fail(`servers[${i}].key: "${s.key}" must be 1-40 characters: lower-case letters, digits and '-', starting with a letter`);
            }
            if (keys.has(s.key)) fail(`servers[${i}].key: "${s.key}" is used twice; alert names must be unique`);
            keys.add(s.key);
            const threshold = s.backupStorageThresholdGb ?? s.storageSizeGb;
            if (!Number.isFinite(threshold) || threshold <= 0) {
                fail(`servers[${i}].backupStorageThresholdGb: ${threshold} must be a positive number of GiB`);
            }
        });
        a.webhookUrls.forEach((url, i) => {
            if (typeof url === "string" && !isHttpsUrl(url)) fail(`webhookUrls[${i}]: (secret) must be an https:// URL`);
        });
        const capacity = a.storageAccount?.capacityThresholdGb;
        if (capacity !== undefined && (!Number.isFinite(capacity) || capacity <= 0)) {
            fail(`storageAccount.capacityThresholdGb: ${capacity} must be a positive number of GiB`);
        }
        return a;
    }
}
