import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_NAMES, dumpFunctionName, exportFunctionName, functionImageName, monitoringName, scheduledRuns, verifyFunctionName } from "../config/resourceNames";
import { BackupAlarms } from "../components/aws/backupAlarms";
import { BackupDashboard } from "../components/aws/backupDashboard";
import { BackupFunction, BackupFunctionArgs, BackupFunctionNetwork } from "../components/aws/backupFunction";
import { DatabaseFunctionInput, dumpEnvironment, exportEnvironment, verifyEnvironment } from "../components/aws/functionEnv";
import { FargateRunner, FargateRunnerArgs, TaskEventsLogPolicy } from "../components/aws/fargateRunner";
import { FunctionImage } from "../components/aws/functionImage";
import { S3GatewayEndpoint } from "../components/aws/s3GatewayEndpoint";
import { backupMaxAgeMinutes, dumpReportSeconds, imageClientMajor } from "../config/rules/functions";
import { longestGapMinutes, parseSchedule } from "../config/schedule";
import type { StackConfig } from "../config/validate";
import type { AwsFoundation, ProtectedDatabase } from "./aws";

export interface FunctionOutputs {
    readonly imageUri: pulumi.Output<string>;
    readonly functions: Record<string, pulumi.Output<string>>;
    /** Fargate runners by name: their task definition ARNs. */
    readonly runners: Record<string, pulumi.Output<string>>;
    readonly dashboardArn: pulumi.Output<string>;
    readonly alarmNames: pulumi.Output<string[]>;
}

/**
 * The scheduled dump, export and verify functions (one image), their alarms and dashboard.
 * Dump and export run per database; verify runs once for all verified databases on the
 * configured verification server, or, without one, per database on the database's own server
 * (a scratch database that is dropped after every run). A database with `runner: fargate` has
 * its dump, and its own verification, run as Fargate tasks instead (one cluster for the stack).
 */
export function deployFunctions(config: StackConfig, network: NonNullable<StackConfig["aws"]["network"]>, f: AwsFoundation): FunctionOutputs | undefined {
    if (f.databases.length === 0) return undefined;
    const fc = config.functions;
    const lock = config.storage.objectLock;
    const keepDays = { daily: config.retention.daily.keepDays, weekly: config.retention.weekly.keepDays, monthly: config.retention.monthly.keepDays };
    const stack = f.scope.stem;
    const inPrimary = { provider: f.primary };
    const image = new FunctionImage(functionImageName(f.scope), {
        kmsKeyArn: f.key.keyArn,
        pgMajor: imageClientMajor(config),
        platform: fc.image.platform,
        keepImages: fc.image.keepImages,
        forceDelete: config.storage.forceDestroy,
    }, inPrimary);

    const prefixOf = (kind: "dump" | "export" | "verify"): string => (kind === "export" ? config.storage.exportPrefix : config.storage.prefix);
    const shared = (kind: "dump" | "export" | "verify"): Pick<BackupFunctionArgs, "kind" | "prefix" | "imageUri" | "architecture" | "bucketArn" | "kmsKeyArn" | "secretKmsKeyArns" | "logRetentionDays" | "reservedConcurrency" | "retryAttempts" | "maxEventAgeSeconds" | "memoryMb" | "timeoutSeconds" | "ephemeralStorageMb"> => ({
        kind,
        prefix: prefixOf(kind),
        imageUri: image.imageUri,
        architecture: image.architecture,
        bucketArn: f.bucket.bucketArn,
        kmsKeyArn: f.key.keyArn,
        secretKmsKeyArns: [f.key.keyArn],
        logRetentionDays: fc.logRetentionDays,
        reservedConcurrency: fc.reservedConcurrency,
        retryAttempts: fc.retry.attempts,
        maxEventAgeSeconds: fc.retry.maxEventAgeSeconds,
        memoryMb: fc[kind].memoryMb,
        timeoutSeconds: fc[kind].timeoutSeconds,
        ephemeralStorageMb: fc[kind].ephemeralStorageMb,
    });
    const databaseNetwork = (db: ProtectedDatabase, s3PrefixListId?: pulumi.Input<string>): BackupFunctionNetwork => ({
        vpcId: network.vpcId,
        subnetIds: network.subnetIds,
        databasePorts: [db.config.port],
        databaseSecurityGroupIds: db.config.instance?.vpcSecurityGroupIds
            ?? (db.instance !== undefined ? [db.instance.securityGroupIds.apply((ids) => ids[0] ?? "")] : []),
        ...(db.instance === undefined ? { databaseCidrBlocks: ["0.0.0.0/0"] } : {}),
        ...(s3PrefixListId !== undefined ? { s3PrefixListId } : {}),
    });
    /** Where a database's dump or export function writes, how it reaches the database, and the key it writes with. */
    const databaseFunction = (kind: "dump" | "export", db: ProtectedDatabase): DatabaseFunctionInput => ({
        bucketName: f.bucket.bucketName,
        prefix: prefixOf(kind),
        database: db.config.name,
        secretArn: db.secretArn,
        ...(db.host !== undefined ? { host: db.host } : {}),
        port: db.config.port,
        databaseName: db.config.databaseName,
        kmsKeyArn: f.key.keyArn,
    });

    // One CloudWatch Logs resource policy for every runner's task-failure events: an account holds
    // at most 10 per region (CloudWatch Logs API Reference, PutResourcePolicy).
    const runnerNames = scheduledRuns(config, f.scope).filter((r) => r.component === "FargateRunner").map((r) => r.name);
    const taskEventsLogPolicy = runnerNames.length === 0
        ? undefined
        : new TaskEventsLogPolicy(COMPONENT_NAMES.fargateTaskEvents, { policyName: `${stack}-task-events`, runnerNames }, inPrimary);
    const runners: FargateRunner[] = [];
    /** The database each Fargate dump runner dumps. */
    const dumpRunnerDatabase = new Map<FargateRunner, string>();
    /** What a Fargate runner shares with the Lambda functions of its kind, and the stack's one cluster. */
    const runnerShared = (kind: "dump" | "verify"): Pick<FargateRunnerArgs, "kind" | "prefix" | "imageUri" | "imageRepositoryArn" | "architecture" | "bucketArn" | "kmsKeyArn" | "secretKmsKeyArns" | "logRetentionDays" | "retryAttempts" | "maxEventAgeSeconds" | "cpu" | "memoryMb" | "ephemeralStorageGiB" | "taskEventsLogPolicy" | "clusterArn"> => ({
        kind,
        prefix: prefixOf(kind),
        imageUri: image.imageUri,
        imageRepositoryArn: image.repositoryArn,
        architecture: image.architecture,
        bucketArn: f.bucket.bucketArn,
        kmsKeyArn: f.key.keyArn,
        secretKmsKeyArns: [f.key.keyArn],
        logRetentionDays: fc.logRetentionDays,
        retryAttempts: fc.retry.attempts,
        maxEventAgeSeconds: fc.retry.maxEventAgeSeconds,
        cpu: fc.fargate.cpu,
        memoryMb: fc.fargate.memoryMb,
        ephemeralStorageGiB: fc.fargate.ephemeralStorageGiB,
        ...(taskEventsLogPolicy !== undefined ? { taskEventsLogPolicy } : {}),
        ...(runners[0] !== undefined ? { clusterArn: runners[0].clusterArn } : {}),
    });

    const all: BackupFunction[] = [];
    // The VPC's S3 gateway endpoint belongs to the stack, not to one function: it stays where it is
    // when a database moves between runners or is removed.
    const s3PrefixListId = network.s3GatewayEndpoint && network.routeTableIds.length > 0
        ? new S3GatewayEndpoint(COMPONENT_NAMES.s3GatewayEndpoint, {
            vpcId: network.vpcId,
            routeTableIds: network.routeTableIds,
            formerlyDeclaredAs: formerEndpointAliases(f.databases[0] === undefined ? undefined : dumpFunctionName(f.scope, f.databases[0].config.name)),
        }, inPrimary).prefixListId
        : undefined;
    for (const db of f.databases) {
        const name = dumpFunctionName(f.scope, db.config.name);
        const dumpArgs = {
            secretArns: [db.secretArn],
            schedule: config.schedules.dump,
            environment: dumpEnvironment({
                ...databaseFunction("dump", db),
                weeklyOn: config.retention.weeklyOn,
                monthlyOnDay: config.retention.monthlyOn,
                compression: fc.compression,
                partSizeMiB: fc.partSizeMiB,
                ...(fc.maxDumpSizeGiB !== undefined ? { maxDumpSizeGiB: fc.maxDumpSizeGiB } : {}),
                ...(db.config.dumpFormat === "directory" ? { dumpFormat: "directory" as const, dumpJobs: fc.dumpJobs } : {}),
                ...(lock?.mode !== undefined && lock.days !== undefined ? { objectLock: { mode: lock.mode, keepDays } } : {}),
                metricsNamespace: fc.metricsNamespace,
            }),
            network: databaseNetwork(db, s3PrefixListId),
        };
        if (db.config.runner === "fargate") {
            const runner = new FargateRunner(name, { ...runnerShared("dump"), ...dumpArgs }, inPrimary);
            runners.push(runner);
            dumpRunnerDatabase.set(runner, db.config.name);
        } else {
            all.push(new BackupFunction(name, { ...shared("dump"), ...dumpArgs }, inPrimary));
        }
        if (db.config.exportTables.length > 0 && config.schedules.export !== undefined) {
            all.push(new BackupFunction(exportFunctionName(f.scope, db.config.name), {
                ...shared("export"),
                secretArns: [db.secretArn],
                schedule: config.schedules.export,
                environment: exportEnvironment({
                    ...databaseFunction("export", db),
                    tables: db.config.exportTables,
                    partSizeMiB: fc.partSizeMiB,
                    safetyLagSeconds: fc.exportSafetyLagSeconds,
                    metricsNamespace: fc.metricsNamespace,
                }),
                network: databaseNetwork(db, s3PrefixListId),
            }, inPrimary));
        }
    }

    const verified = f.databases.filter((d) => d.config.verify);
    const maxAge = backupMaxAgeMinutes(config);
    const verifySettings = {
        bucketName: f.bucket.bucketName,
        prefix: prefixOf("verify"),
        maxBackupAgeMinutes: maxAge,
        rtoMinutes: config.objectives.rtoMinutes,
        sizeBounds: fc.sizeBounds,
        restoreJobs: fc.restoreJobs,
        metricsNamespace: fc.metricsNamespace,
    };
    const server = fc.verification;
    if (server.credentialsSecretArn !== undefined && verified.length > 0) {
        all.push(new BackupFunction(verifyFunctionName(f.scope), {
            ...shared("verify"),
            secretArns: [server.credentialsSecretArn],
            schedule: config.schedules.verify,
            environment: verifyEnvironment({ ...verifySettings, databases: verified.map((d) => d.config.name), serverSecretArn: server.credentialsSecretArn }),
            network: {
                vpcId: network.vpcId,
                subnetIds: network.subnetIds,
                databasePorts: [server.port],
                ...(server.securityGroupIds !== undefined ? { databaseSecurityGroupIds: server.securityGroupIds } : {}),
                ...(server.cidrBlocks !== undefined ? { databaseCidrBlocks: server.cidrBlocks } : {}),
                ...(s3PrefixListId !== undefined ? { s3PrefixListId } : {}),
            },
        }, inPrimary));
    } else {
        for (const db of verified) {
            const verifyArgs = {
                secretArns: [db.secretArn],
                schedule: config.schedules.verify,
                environment: {
                    ...verifyEnvironment({ ...verifySettings, databases: [db.config.name], serverSecretArn: db.secretArn }),
                    ...(db.host !== undefined ? { VERIFY_DB_HOST: db.host } : {}),
                    VERIFY_DB_PORT: String(db.config.port),
                },
                network: databaseNetwork(db, s3PrefixListId),
            };
            if (db.config.runner === "fargate") {
                runners.push(new FargateRunner(verifyFunctionName(f.scope, db.config.name), { ...runnerShared("verify"), ...verifyArgs }, inPrimary));
            } else {
                all.push(new BackupFunction(verifyFunctionName(f.scope, db.config.name), { ...shared("verify"), ...verifyArgs }, inPrimary));
            }
        }
    }

    const runnerLabel = (runner: FargateRunner): string => runner.runnerName.slice(stack.length + 1);
    const alarmedFunctions = all.map((fn) => ({
        label: fn.functionName.slice(stack.length + 1),
        functionName: fn.functionName,
        timeoutSeconds: fn.timeoutSeconds,
        deadLetterQueueName: fn.deadLetterQueueName,
    }));
    const alarmedDatabases = f.databases.map((db, i) => ({
        name: db.config.name,
        dumpSeconds: dumpReportSeconds(config, db.config, i),
        verified: db.config.verify,
        exported: db.config.exportTables.length > 0 && config.schedules.export !== undefined,
        ...(db.instance !== undefined && db.config.instance !== undefined
            ? {
                instanceIdentifier: db.instance.instanceIdentifier,
                allocatedStorageGb: db.config.instance.allocatedStorageGb,
                ...(db.config.instance.maxAllocatedStorageGb !== undefined ? { maxAllocatedStorageGb: db.config.instance.maxAllocatedStorageGb } : {}),
            }
            : {}),
    }));
    const alarms = new BackupAlarms(monitoringName(f.scope), {
        alertTopicArn: f.topic.topicArn,
        rpoMinutes: config.objectives.rpoMinutes,
        backupMaxAgeMinutes: maxAge,
        rtoMinutes: config.objectives.rtoMinutes,
        databases: alarmedDatabases,
        functions: alarmedFunctions,
        runners: runners.map((runner) => ({
            label: runnerLabel(runner),
            deadLetterQueueName: runner.deadLetterQueueName,
            taskFailedRuleName: runner.taskFailedRuleName,
            logGroupName: runner.logGroupName,
        })),
        dumpTimeoutSeconds: fc.dump.timeoutSeconds,
        verifyIntervalMinutes: Math.ceil(longestGapMinutes(parseSchedule(config.schedules.verify))),
        verifyTimeoutSeconds: fc.verify.timeoutSeconds,
        sizeBounds: fc.sizeBounds,
        namespace: fc.metricsNamespace,
    }, inPrimary);
    const dashboard = new BackupDashboard(monitoringName(f.scope), {
        rpoMinutes: config.objectives.rpoMinutes,
        rtoMinutes: config.objectives.rtoMinutes,
        // With storage autoscaling the allocation grows, so a line at 20 % of the initial one would mislead.
        databases: alarmedDatabases.map((db) => ("maxAllocatedStorageGb" in db ? { ...db, allocatedStorageGb: undefined } : db)),
        functions: alarmedFunctions,
        runners: runners.map((runner) => {
            const database = dumpRunnerDatabase.get(runner);
            const expectedSeconds = alarmedDatabases.find((db) => db.name === database)?.dumpSeconds;
            return {
                label: runnerLabel(runner),
                taskFailedRuleName: runner.taskFailedRuleName,
                deadLetterQueueName: runner.deadLetterQueueName,
                ...(database !== undefined && expectedSeconds !== undefined ? { dump: { database, expectedSeconds } } : {}),
            };
        }),
        alarmArns: alarms.alarmArns,
        namespace: fc.metricsNamespace,
    }, inPrimary);
    return {
        imageUri: image.imageUri,
        functions: Object.fromEntries(all.map((fn) => [fn.functionName, fn.functionArn])),
        runners: Object.fromEntries(runners.map((runner) => [runner.runnerName, runner.taskDefinitionArn])),
        dashboardArn: dashboard.dashboardArn,
        alarmNames: alarms.alarmNames,
    };
}

/**
 * Where a stack deployed before the endpoint was the stack's own declared it: as the own endpoint
 * of its first database's dump function, a BackupFunction or a FargateRunner (whichever ran it),
 * named `<function>-s3-endpoint`.
 */
export function formerEndpointAliases(firstDumpName: string | undefined): pulumi.Alias[] {
    if (firstDumpName === undefined) return [];
    return ["pg-backup-stack:aws:BackupFunction", "pg-backup-stack:aws:FargateRunner"].map((type) => ({
        name: `${firstDumpName}-s3-endpoint`,
        parent: pulumi.createUrn(firstDumpName, type),
    }));
}
