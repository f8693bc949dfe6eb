import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as app from "@pulumi/azure-native/app";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import type { FunctionKind } from "../aws/documents/functionPolicies";
import { RUNNER_CONTAINER, runnerCommand } from "../aws/documents/fargate";
import { DOCKERFILE, FUNCTIONS_PACKAGE_DIR, type ImagePlatform } from "../imageContext";
import { imageBuildPlan, pushedImage } from "../imageBuild";
import { BUILT_IN_ROLES } from "./documents/roles";
import {
    DatabaseCredential,
    LogAlertDefinition,
    MAX_LOG_ALERT_LOOKBACK_HOURS,
    backupBlobWriterRole,
    consumptionSizeProblems,
    containerScope,
    cronProblem,
    failedExecutionAlert,
    failedJobAlert,
    jobEnvironment,
    jobName,
    jobTimeouts,
    memoryQuantity,
    missingSuccessAlert,
    registryName,
    roleDefinitionId,
    secretScope,
} from "./documents/jobs";

/** One database the runner dumps, exports and verifies. */
export interface RunnerTarget {
    /** Logical name: the result lines' `database`, part of the job names (1-40 lower-case letters, digits, '-'). */
    readonly key: string;
    /** Host name of the server (its FQDN, or a private name resolved in the environment's VNet). */
    readonly host: pulumi.Input<string>;
    /** Azure name of the Flexible Server, for the verify job's snapshot freshness check. */
    readonly serverName: pulumi.Input<string>;
    /** Database dumped and exported; verify restores next to it from the same server's maintenance database. */
    readonly databaseName: string;
    /** A Key Vault secret (needs `keyVault`) or an Entra role mapped to the runner's identity. */
    readonly credential: DatabaseCredential;
    /** Variables of the dump handler besides the runner's own (WEEKLY_ON, MONTHLY_ON_DAY, OBJECT_LOCK_MODE, RETAIN_DAYS_*...). */
    readonly dumpSettings: Readonly<Record<string, string>>;
    /** Variables of the export handler (EXPORT_PREFIX, EXPORT_TABLES, ...); omitted: no export job. */
    readonly exportSettings?: Readonly<Record<string, string>>;
    /** Variables of the verify handler (VERIFY_MAX_BACKUP_AGE_MINUTES, RTO_MINUTES, ...). */
    readonly verifySettings: Readonly<Record<string, string>>;
}

export interface ContainerJobsArgs {
    /** Resource group of every resource of the runner, and of the servers (Reader is granted on it). Required. */
    readonly resourceGroupName: string;
    /** Azure region of the runner. Required. */
    readonly location: string;
    /** Environment name of the stack (`prod`, `staging`): part of the job, registry and role names. Required. */
    readonly environment: string;
    /** The backup storage: ARM id of the account, its blob endpoint and the dumps' container. Required. */
    readonly storage: { readonly accountId: pulumi.Input<string>; readonly blobEndpoint: pulumi.Input<string>; readonly containerName: pulumi.Input<string> };
    /** Key prefix of the dumps (BACKUP_PREFIX). @default "backups" */
    readonly prefix?: string;
    /** The Key Vault holding the targets' secrets: ARM id and URI. @default none - every target must use an Entra role */
    readonly keyVault?: { readonly id: pulumi.Input<string>; readonly uri: pulumi.Input<string> };
    /** The databases. @default none */
    readonly targets?: readonly RunnerTarget[];
    /** Five-field cron expressions, UTC, per kind. Required (export only when a target exports). */
    readonly schedules: { readonly dump: string; readonly export?: string; readonly verify: string };
    /** Longest run expected per kind, minutes: the replica timeout; the handler stops 2 minutes earlier. @default dump 240, export 60, verify 240 */
    readonly timeoutMinutes?: Partial<Readonly<Record<FunctionKind, number>>>;
    /**
     * vCPUs of each job (Consumption profile: 0.25..4 in 0.25 steps).
     * @default 1
     */
    readonly cpu?: number;
    /**
     * GiB of memory (the Consumption profile allows 2 GiB per vCPU only).
     * @default twice cpu
     */
    readonly memoryGi?: number;
    /**
     * Retries of a failed replica (replicaRetryLimit), 0..10.
     * @default 1
     */
    readonly retryLimit?: number;
    /**
     * Days the Log Analytics workspace keeps the jobs' logs, 30..730.
     * @default 90
     */
    readonly logRetentionDays?: number;
    /**
     * Hours without a successful dump (and verify) before "missing backup" fires, 1..48.
     * @default 30
     */
    readonly maxBackupAgeHours?: number;
    /** Subnet the environment runs in (workload-profiles environment, at least /27, delegated to Microsoft.App/environments). @default none - the platform's network, public egress */
    readonly infrastructureSubnetId?: pulumi.Input<string>;
    /** Action group the alerts notify. @default none - no alerts */
    readonly actionGroupId?: pulumi.Input<string>;
    /**
     * PostgreSQL client major in the image, 15..17.
     * @default 15
     */
    readonly pgMajor?: number;
    /**
     * Build context holding the Dockerfile and the functions' sources.
     * @default the library's own functions package (FUNCTIONS_PACKAGE_DIR)
     */
    readonly contextPath?: string;
    /**
     * Image tag.
     * @default derived from the context's content
     */
    readonly imageTag?: string;
    /**
     * Build during `pulumi preview` too.
     * @default false
     */
    readonly buildOnPreview?: boolean;
    /**
     * Tags of every resource.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

type Resolved = Required<Omit<ContainerJobsArgs, "keyVault" | "infrastructureSubnetId" | "actionGroupId" | "imageTag" | "timeoutMinutes">> &
    Pick<ContainerJobsArgs, "keyVault" | "infrastructureSubnetId" | "actionGroupId" | "imageTag"> & { readonly timeoutMinutes: Readonly<Record<FunctionKind, number>> };

const DEFAULTS = {
    prefix: "backups",
    timeoutMinutes: { dump: 240, export: 60, verify: 240 } as Readonly<Record<FunctionKind, number>>,
    cpu: 1,
    retryLimit: 1,
    logRetentionDays: 90,
    maxBackupAgeHours: 30,
    pgMajor: 15,
    buildOnPreview: false,
};

function withDefaults(args: ContainerJobsArgs): Resolved {
    const cpu = args.cpu ?? DEFAULTS.cpu;
    return {
        ...args,
        prefix: args.prefix ?? DEFAULTS.prefix,
        targets: args.targets ?? [],
        timeoutMinutes: { ...DEFAULTS.timeoutMinutes, ...args.timeoutMinutes },
        cpu,
        memoryGi: args.memoryGi ?? cpu * 2,
        retryLimit: args.retryLimit ?? DEFAULTS.retryLimit,
        logRetentionDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
        maxBackupAgeHours: args.maxBackupAgeHours ?? DEFAULTS.maxBackupAgeHours,
        pgMajor: args.pgMajor ?? DEFAULTS.pgMajor,
        contextPath: args.contextPath ?? FUNCTIONS_PACKAGE_DIR,
        buildOnPreview: args.buildOnPreview ?? DEFAULTS.buildOnPreview,
        tags: args.tags ?? {},
    };
}

/** Container Apps runs linux/amd64 images only ("Containers in Azure Container Apps"). */
const PLATFORM: ImagePlatform = "linux/amd64";
/** The workload profile the jobs run on: serverless, billed per second of vCPU and GiB. */
const CONSUMPTION = "Consumption";

/**
 * The Azure-native runner: the functions' image in a registry of the stack, a Container Apps
 * environment (workload profiles, Consumption) logging to a Log Analytics workspace, one
 * user-assigned identity with least-privilege role assignments, and per target scheduled jobs for
 * dump, export and verify running the handler once, as the Fargate runner does; log search alerts on
 * the jobs' result lines and on executions the platform gave up on.
 */
export class ContainerJobs extends pulumi.ComponentResource {
    /** Client ID of the jobs' user-assigned identity. */
    public readonly identityClientId: pulumi.Output<string>;
    /** Principal ID of the jobs' user-assigned identity. */
    public readonly identityPrincipalId: pulumi.Output<string>;
    /** Login server of the container registry. */
    public readonly registryLoginServer: pulumi.Output<string>;
    /** ARM id of the Container Apps environment. */
    public readonly environmentId: pulumi.Output<string>;
    /** ARM id of the Log Analytics workspace. */
    public readonly workspaceId: pulumi.Output<string>;
    /** The image the jobs run, by digest (`<registry>/pg-backup-functions@<digest>`). */
    public readonly imageRef: pulumi.Output<string>;
    /** Names of the jobs, by `<target>-<kind>`. */
    public readonly jobNames: Readonly<Record<string, string>>;

    constructor(name: string, args: ContainerJobsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:azure:ContainerJobs", name, {}, opts);
        const a = withDefaults(args);
        this.validate(a);
        const buildInput = { contextPath: a.contextPath, pgMajor: a.pgMajor, platform: PLATFORM, buildOnPreview: a.buildOnPreview };
        const build = { ...buildInput, tag: this.attempt(() => imageBuildPlan({ ...buildInput, ...(a.imageTag !== undefined ? { tag: a.imageTag } : {}) }).tag) };
        const parent = { parent: this };
        const base = { resourceGroupName: a.resourceGroupName, location: a.location, tags: a.tags };
        const client = authorization.getClientConfigOutput(parent);
        const resourceGroupId = pulumi.interpolate`/subscriptions/${client.subscriptionId}/resourceGroups/${a.resourceGroupName}`;

        const workspace = new operationalinsights.Workspace(`${name}-logs`, {
            ...base,
            sku: { name: "PerGB2018" },
            retentionInDays: a.logRetentionDays,
        }, parent);
        const sharedKey = operationalinsights.getSharedKeysOutput({ resourceGroupName: a.resourceGroupName, workspaceName: workspace.name }, parent);
        const environment = new app.ManagedEnvironment(`${name}-env`, {
            ...base,
            appLogsConfiguration: {
                destination: "log-analytics",
                logAnalyticsConfiguration: { customerId: workspace.customerId, sharedKey: pulumi.secret(sharedKey.apply((k) => k.primarySharedKey ?? "")) },
            },
            workloadProfiles: [{ name: CONSUMPTION, workloadProfileType: CONSUMPTION }],
            ...(a.infrastructureSubnetId === undefined ? {} : { vnetConfiguration: { infrastructureSubnetId: a.infrastructureSubnetId, internal: true } }),
        }, parent);

        const suffix = new random.RandomId(`${name}-registry-suffix`, { byteLength: 4 }, parent);
        const registry = new containerregistry.Registry(`${name}-registry`, {
            ...base,
            registryName: suffix.hex.apply((hex) => registryName(a.environment, hex)),
            sku: { name: "Basic" },
            adminUserEnabled: false,
            anonymousPullEnabled: false,
        }, parent);
        const { image, tag } = pushedImage(`${name}-image`, {
            ...build,
            repository: pulumi.interpolate`${registry.loginServer}/pg-backup-functions`,
        }, parent);
        const imageRef = pulumi.interpolate`${registry.loginServer}/pg-backup-functions@${image.digest}`;

        const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, base, parent);
        const builtIn = (roleGuid: string): pulumi.Output<string> => client.subscriptionId.apply((subscription) => roleDefinitionId(subscription, roleGuid));
        const assign = (suffixName: string, role: pulumi.Input<string>, scope: pulumi.Input<string>): authorization.RoleAssignment =>
            new authorization.RoleAssignment(`${name}-${suffixName}`, {
                principalId: identity.principalId,
                principalType: "ServicePrincipal",
                roleDefinitionId: role,
                scope,
            }, parent);
        const acrPull = assign("acr-pull", builtIn(BUILT_IN_ROLES.acrPull), registry.id);
        assign("reader", builtIn(BUILT_IN_ROLES.reader), resourceGroupId);
        const blobRoleGuid = new random.RandomUuid(`${name}-blob-writer-id`, {}, parent);
        new authorization.RoleDefinition(`${name}-blob-writer`, {
            scope: resourceGroupId,
            roleDefinitionId: blobRoleGuid.result,
            roleType: "CustomRole",
            ...backupBlobWriterRole(a.environment, a.resourceGroupName),
            assignableScopes: [resourceGroupId],
        }, parent);
        const container = pulumi.all([a.storage.accountId, a.storage.containerName]).apply(([id, c]) => containerScope(id, c));
        const blobRoleId = pulumi.all([client.subscriptionId, blobRoleGuid.result]).apply(([subscription, guid]) => roleDefinitionId(subscription, guid));
        const blobAccess = assign("blob-writer", blobRoleId, container);
        const secrets = [...new Set(a.targets.flatMap((t) => ("keyVaultSecretName" in t.credential ? [t.credential.keyVaultSecretName] : [])))].sort();
        const vault = a.keyVault;
        const secretAccess = vault === undefined ? [] : secrets.map((secret) => assign(`secret-${secret}`, builtIn(BUILT_IN_ROLES.keyVaultSecretsUser),
            pulumi.output(vault.id).apply((vaultId) => secretScope(vaultId, secret))));

        const jobs: { key: string; jobName: string; kind: FunctionKind; target: string }[] = [];
        for (const target of a.targets) {
            const kinds: [FunctionKind, Readonly<Record<string, string>>, string][] = [
                ["dump", target.dumpSettings, a.schedules.dump],
                ...(target.exportSettings !== undefined && a.schedules.export !== undefined
                    ? [["export", target.exportSettings, a.schedules.export] as [FunctionKind, Readonly<Record<string, string>>, string]] : []),
                ["verify", target.verifySettings, a.schedules.verify],
            ];
            for (const [kind, settings, cronExpression] of kinds) {
                const timeouts = jobTimeouts(a.timeoutMinutes[kind]);
                const resourceName = jobName(target.key, a.environment, kind);
                const { entryPoint, command } = runnerCommand(kind);
                const env = pulumi.all([a.storage.blobEndpoint, a.storage.containerName, identity.clientId, target.host, a.keyVault?.uri, client.subscriptionId, target.serverName])
                    .apply(([blobEndpoint, containerName, clientId, host, vaultUri, subscriptionId, serverName]) => jobEnvironment(kind, {
                        blobEndpoint, containerName, clientId, host, prefix: a.prefix, runTimeoutSeconds: timeouts.runTimeoutSeconds,
                        target: target.key, databaseName: target.databaseName, credential: target.credential,
                        ...(vaultUri !== undefined ? { vaultUri } : {}), settings,
                        server: { subscriptionId, resourceGroup: a.resourceGroupName, serverName },
                    }));
                new app.Job(`${name}-${target.key}-${kind}`, {
                    ...base,
                    tags: { ...a.tags, "pg-backup-stack:function": kind, "pg-backup-stack:database": target.key },
                    jobName: resourceName,
                    environmentId: environment.id,
                    workloadProfileName: CONSUMPTION,
                    identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                    configuration: {
                        triggerType: "Schedule",
                        replicaTimeout: timeouts.replicaTimeout,
                        replicaRetryLimit: a.retryLimit,
                        scheduleTriggerConfig: { cronExpression, parallelism: 1, replicaCompletionCount: 1 },
                        registries: [{ server: registry.loginServer, identity: identity.id }],
                    },
                    template: {
                        containers: [{
                            name: RUNNER_CONTAINER,
                            image: imageRef,
                            command: [...entryPoint],
                            args: [...command],
                            env,
                            resources: { cpu: a.cpu, memory: memoryQuantity(a.memoryGi) },
                        }],
                    },
                }, { parent: this, dependsOn: [acrPull, blobAccess, ...secretAccess] });
                jobs.push({ key: `${target.key}-${kind}`, jobName: resourceName, kind, target: target.key });
            }
        }

        if (a.actionGroupId !== undefined && jobs.length > 0) {
            const alerts: [string, LogAlertDefinition][] = [
                ...jobs.map(({ target, kind }): [string, LogAlertDefinition] => [`${target}-${kind}-failed`, failedJobAlert(kind, target)]),
                ...jobs.filter((j) => j.kind !== "export").map(({ target, kind }): [string, LogAlertDefinition] =>
                    [`${target}-${kind}-missing`, missingSuccessAlert(kind, target, a.maxBackupAgeHours)]),
                ["execution-failed", failedExecutionAlert(jobs.map((j) => j.jobName))],
            ];
            for (const [suffixName, definition] of alerts) {
                new monitor.ScheduledQueryRule(`${name}-${suffixName}`, {
                    ...base,
                    kind: "LogAlert",
                    enabled: true,
                    scopes: [workspace.id],
                    actions: { actionGroups: [a.actionGroupId] },
                    ...definition,
                }, parent);
            }
        }

        this.identityClientId = identity.clientId;
        this.identityPrincipalId = identity.principalId;
        this.registryLoginServer = registry.loginServer;
        this.environmentId = environment.id;
        this.workspaceId = workspace.id;
        this.imageRef = imageRef;
        this.jobNames = Object.fromEntries(jobs.map((j) => [j.key, j.jobName]));
        this.registerOutputs({
            identityClientId: this.identityClientId,
            registryLoginServer: this.registryLoginServer,
            environmentId: this.environmentId,
            workspaceId: this.workspaceId,
            imageRef: this.imageRef,
            imageTag: tag,
            jobNames: this.jobNames,
        });
    }

    /** Runs a builder, turning its error into one that names this component. */
    private attempt<T>(build: () => T): T {
        try {
            return build();
        } catch (e) {
            throw new pulumi.ResourceError(e instanceof Error ? e.message : String(e), this);
        }
    }

    /** Checks every argument before anything is created. */
    private validate(a: Resolved): void {
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        if (!Number.isInteger(a.pgMajor) || a.pgMajor < 15 || a.pgMajor > 17) {
            fail(`pgMajor: ${a.pgMajor} is out of range 15..17 (the PostgreSQL clients the functions' image packages)`);
        }
        if (!fs.existsSync(path.join(a.contextPath, DOCKERFILE))) {
            fail(`contextPath: "${a.contextPath}" has no ${DOCKERFILE}; expected the functions package (lambdas/, holding the Dockerfile)`);
        }
        for (const p of consumptionSizeProblems(a.cpu, a.memoryGi)) fail(`${p.key}: ${p.value} ${p.message}`);
        for (const [kind, expression] of Object.entries(a.schedules)) {
            const problem = expression === undefined ? undefined : cronProblem(expression);
            if (problem !== undefined) fail(`schedules.${kind}: ${problem}`);
        }
        for (const [kind, minutes] of Object.entries(a.timeoutMinutes)) {
            if (!Number.isInteger(minutes) || minutes < 5 || minutes > 1440) fail(`timeoutMinutes.${kind}: ${minutes} is out of range 5..1440`);
        }
        if (!Number.isInteger(a.retryLimit) || a.retryLimit < 0 || a.retryLimit > 10) fail(`retryLimit: ${a.retryLimit} is out of range 0..10`);
        if (!Number.isInteger(a.logRetentionDays) || a.logRetentionDays < 30 || a.logRetentionDays > 730) {
            fail(`logRetentionDays: ${a.logRetentionDays} is out of range 30..730`);
        }
        if (!Number.isInteger(a.maxBackupAgeHours) || a.maxBackupAgeHours < 1 || a.maxBackupAgeHours > MAX_LOG_ALERT_LOOKBACK_HOURS) {
            fail(`maxBackupAgeHours: ${a.maxBackupAgeHours} is out of range 1..${MAX_LOG_ALERT_LOOKBACK_HOURS} (a log search alert looks back at most two days)`);
        }
        const keys = new Set<string>();
        a.targets.forEach((t, i) => {
            if (!/^[a-z][a-z0-9-]{0,39}$/.test(t.key)) fail(`targets[${i}].key: "${t.key}" must be 1-40 lower-case letters, digits and '-', starting with a letter`);
            if (keys.has(t.key)) fail(`targets[${i}].key: "${t.key}" is used twice`);
            keys.add(t.key);
            if ("keyVaultSecretName" in t.credential && a.keyVault === undefined) {
                fail(`targets[${i}].credential.keyVaultSecretName: "${t.credential.keyVaultSecretName}" needs keyVault (the vault's ARM id and URI)`);
            }
            if (t.exportSettings !== undefined && a.schedules.export === undefined) fail(`targets[${i}].exportSettings: given, but schedules.export is not`);
        });
    }
}
