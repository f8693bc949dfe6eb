import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { LOG_RETENTION_DAYS } from "./documents/logs";
import {
    CLOUDWATCH_LOG_EXPORTS,
    MASTER_PASSWORD_SPECIALS,
    MasterSecretOwner,
    finalSnapshotIdentifier,
    generatedInstanceIdentifier,
    masterSecretJson,
    minMaxAllocatedStorageGb,
    parameterGroupFamily,
    rdsLogGroupName,
    rdsParameters,
    rdsTags,
    rdsWindowProblems,
    supportsPerformanceInsights,
} from "./documents/rds";

export interface RdsPostgresArgs {
    /** Name of the PostgreSQL database created in the instance. Required. */
    readonly databaseName: string;
    /** ARN of the KMS key for storage, snapshots, the master-user secret and Performance Insights. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Subnets of the DB subnet group: at least two, in different availability zones. Required. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /**
     * Security groups of the instance; none means the VPC's default group.
     * @default []
     */
    readonly vpcSecurityGroupIds?: readonly pulumi.Input<string>[];
    /**
     * DB instance identifier (give the existing one when adopting an instance); names the instance's log groups.
     * @default `<component name>-<8 random hex>`
     */
    readonly identifier?: string;
    /**
     * PostgreSQL version, major (minor upgrades applied automatically) or major.minor.
     * @default "15"
     */
    readonly engineVersion?: string;
    /**
     * Instance class.
     * @default "db.t4g.medium"
     */
    readonly instanceClass?: string;
    /**
     * GiB of gp3 storage.
     * @default 50
     */
    readonly allocatedStorageGb?: number;
    /**
     * Storage autoscaling: a value at least 10 % above allocatedStorageGb lets RDS grow storage up to it.
     * @default none - storage autoscaling off
     */
    readonly maxAllocatedStorageGb?: number;
    /**
     * Standby in a second availability zone.
     * @default false
     */
    readonly multiAz?: boolean;
    /**
     * Port the instance listens on.
     * @default 5432
     */
    readonly port?: number;
    /**
     * Master user; its password is kept in Secrets Manager (see masterCredentials).
     * @default "pgadmin"
     */
    readonly masterUsername?: string;
    /**
     * Who owns the master password: "rds-managed", RDS generates, keeps and rotates it; "replicated", the stack generates it and owns its secret, replicated to drRegion under drKmsKeyArn (needs both).
     * @default "rds-managed"
     */
    readonly masterCredentials?: MasterSecretOwner;
    /**
     * The DR region the stack-owned master secret is replicated to; required when masterCredentials is "replicated".
     * @default none
     */
    readonly drRegion?: string;
    /**
     * Days of automated backups and so of point-in-time recovery, 0..35 (0 turns them off).
     * @default 7
     */
    readonly backupRetentionDays?: number;
    /**
     * Daily automated-backup window, hh24:mi-hh24:mi UTC, at least 30 minutes.
     * @default "03:00-03:30"
     */
    readonly backupWindow?: string;
    /**
     * Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC, apart from the backup window.
     * @default "sun:05:00-sun:05:30"
     */
    readonly maintenanceWindow?: string;
    /**
     * Refuse deletion of the instance until switched off.
     * @default true
     */
    readonly deletionProtection?: boolean;
    /**
     * Pulumi `protect` on the instance: `pulumi destroy` refuses to delete it.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * Performance Insights encrypted with kmsKeyArn, where the instance class supports it.
     * @default true
     */
    readonly performanceInsights?: boolean;
    /**
     * Days the instance's CloudWatch log groups (`/aws/rds/instance/<identifier>/postgresql`, `upgrade`) keep their events; a CloudWatch Logs retention value.
     * @default 365
     */
    readonly logRetentionDays?: number;
    /**
     * Log statements running at least this many milliseconds.
     * @default none
     */
    readonly logMinDurationStatementMs?: number;
    /**
     * Tag that selects the instance into the AWS Backup plan.
     * @default { key: "backup-plan", value: "pg-backup-stack" }
     */
    readonly backupSelectionTag?: { readonly key: string; readonly value: string };
    /**
     * Replicate automated backups to the DR region (needs drProvider and drKmsKeyArn).
     * @default false
     */
    readonly replicateBackupsToDr?: boolean;
    /**
     * Provider of the DR region; required when replicateBackupsToDr.
     * @default none
     */
    readonly drProvider?: aws.Provider;
    /**
     * ARN of the DR-region replica key the replicated backups and the master secret's replica are encrypted with; required when replicateBackupsToDr or masterCredentials is "replicated".
     * @default none
     */
    readonly drKmsKeyArn?: pulumi.Input<string>;
    /**
     * Days the replicated backups are kept in the DR region, 1..35.
     * @default backupRetentionDays
     */
    readonly drBackupRetentionDays?: number;
    /**
     * Tags of every resource (the database and selection tags are added).
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULTS = {
    vpcSecurityGroupIds: [] as readonly pulumi.Input<string>[],
    engineVersion: "15",
    instanceClass: "db.t4g.medium",
    allocatedStorageGb: 50,
    multiAz: false,
    port: 5432,
    masterUsername: "pgadmin",
    masterCredentials: "rds-managed" as MasterSecretOwner,
    backupRetentionDays: 7,
    backupWindow: "03:00-03:30",
    maintenanceWindow: "sun:05:00-sun:05:30",
    deletionProtection: true,
    protect: false,
    performanceInsights: true,
    logRetentionDays: 365,
    backupSelectionTag: { key: "backup-plan", value: "pg-backup-stack" },
    replicateBackupsToDr: false,
    tags: {} as Readonly<Record<string, string>>,
};

type Resolved = Required<Omit<RdsPostgresArgs,
    "identifier" | "maxAllocatedStorageGb" | "logMinDurationStatementMs" | "drProvider" | "drKmsKeyArn" | "drBackupRetentionDays" | "drRegion">> &
    Pick<RdsPostgresArgs, "identifier" | "maxAllocatedStorageGb" | "logMinDurationStatementMs" | "drProvider" | "drKmsKeyArn" | "drRegion"> &
    { readonly drBackupRetentionDays: number };

function withDefaults(args: RdsPostgresArgs): Resolved {
    const backupRetentionDays = args.backupRetentionDays ?? DEFAULTS.backupRetentionDays;
    return {
        ...args,
        vpcSecurityGroupIds: args.vpcSecurityGroupIds ?? DEFAULTS.vpcSecurityGroupIds,
        engineVersion: args.engineVersion ?? DEFAULTS.engineVersion,
        instanceClass: args.instanceClass ?? DEFAULTS.instanceClass,
        allocatedStorageGb: args.allocatedStorageGb ?? DEFAULTS.allocatedStorageGb,
        multiAz: args.multiAz ?? DEFAULTS.multiAz,
        port: args.port ?? DEFAULTS.port,
        masterUsername: args.masterUsername ?? DEFAULTS.masterUsername,
        masterCredentials: args.masterCredentials ?? DEFAULTS.masterCredentials,
        backupRetentionDays,
        backupWindow: args.backupWindow ?? DEFAULTS.backupWindow,
        maintenanceWindow: args.maintenanceWindow ?? DEFAULTS.maintenanceWindow,
        deletionProtection: args.deletionProtection ?? DEFAULTS.deletionProtection,
        protect: args.protect ?? DEFAULTS.protect,
        performanceInsights: args.performanceInsights ?? DEFAULTS.performanceInsights,
        logRetentionDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
        backupSelectionTag: args.backupSelectionTag ?? DEFAULTS.backupSelectionTag,
        replicateBackupsToDr: args.replicateBackupsToDr ?? DEFAULTS.replicateBackupsToDr,
        drBackupRetentionDays: args.drBackupRetentionDays ?? backupRetentionDays,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/**
 * RDS for PostgreSQL with its backup policy: automated backups (and so point-in-time recovery)
 * for `backupRetentionDays`, encrypted with the backup key, copied into the DR region, a final
 * snapshot with a unique name on deletion, a master password that only Secrets Manager knows:
 * in a secret RDS manages and rotates, or, with `masterCredentials: "replicated"`, in a secret the stack
 * owns and Secrets Manager replicates to the DR region.
 */
export class RdsPostgres extends pulumi.ComponentResource {
    /** ARN of the DB instance. */
    public readonly instanceArn: pulumi.Output<string>;
    /** Identifier of the DB instance. */
    public readonly instanceIdentifier: pulumi.Output<string>;
    /** The instance's resource ID (`DbiResourceId`), stable across renames. */
    public readonly resourceId: pulumi.Output<string>;
    /** Host name clients connect to. */
    public readonly address: pulumi.Output<string>;
    /** Port the instance listens on. */
    public readonly port: pulumi.Output<number>;
    /** Secrets Manager secret holding the master user's credentials (the ARN only, never the password). */
    public readonly masterUserSecretArn: pulumi.Output<string>;
    /** Latest time a point-in-time restore can target (RFC 3339, UTC). */
    public readonly latestRestorableTime: pulumi.Output<string>;
    /** Name of the DB subnet group. */
    public readonly subnetGroupName: pulumi.Output<string>;
    /** Security groups of the instance. */
    public readonly securityGroupIds: pulumi.Output<string[]>;
    /** Name of the instance's parameter group. */
    public readonly parameterGroupName: pulumi.Output<string>;
    /** Snapshot RDS will take when the instance is deleted. */
    public readonly finalSnapshotIdentifier: pulumi.Output<string>;
    /** ARN of the automated backups replicated into the DR region (for a restore there), when replicated. */
    public readonly drAutomatedBackupsArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: RdsPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:RdsPostgres", name, {}, opts);
        const a = withDefaults(args);
        const family = this.validate(a);
        const tags = rdsTags(a.tags, name, a.backupSelectionTag);

        const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
            description: `Subnets of the ${name} PostgreSQL instance`,
            subnetIds: [...a.subnetIds],
            tags,
        }, { parent: this });

        const parameterGroup = new aws.rds.ParameterGroup(`${name}-params`, {
            description: `TLS-only and logging settings of the ${name} PostgreSQL instance`,
            family,
            parameters: rdsParameters({ logMinDurationStatementMs: a.logMinDurationStatementMs }),
            tags,
        }, { parent: this });

        const snapshotSuffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, { parent: this });
        const finalSnapshot = snapshotSuffix.hex.apply((hex) => finalSnapshotIdentifier(a.identifier ?? name, hex));
        const insights = a.performanceInsights && supportsPerformanceInsights(a.instanceClass);
        const identifier: pulumi.Input<string> = a.identifier ?? snapshotSuffix.hex.apply((hex) => generatedInstanceIdentifier(name, hex));

        // Generated by the provider and kept only in the (encrypted) state and the secret below.
        const password = a.masterCredentials !== "replicated" ? undefined : new random.RandomPassword(`${name}-master-password`, {
            length: 40,
            overrideSpecial: MASTER_PASSWORD_SPECIALS,
        }, { parent: this });

        const logGroups = CLOUDWATCH_LOG_EXPORTS.map((logType) => new aws.cloudwatch.LogGroup(`${name}-log-${logType}`, {
            name: pulumi.output(identifier).apply((id) => rdsLogGroupName(id, logType)),
            retentionInDays: a.logRetentionDays,
            kmsKeyId: a.kmsKeyArn,
            tags,
        }, { parent: this }));

        const instance = new aws.rds.Instance(`${name}-instance`, {
            identifier,
            engine: "postgres",
            engineVersion: a.engineVersion,
            instanceClass: a.instanceClass,
            dbName: a.databaseName,
            port: a.port,
            username: a.masterUsername,
            ...(password === undefined
                // RDS owns this secret and offers no replica Regions for it; Secrets Manager leaves it to RDS
                // (ReplicateSecretToRegions: InvalidRequestException "The secret is managed by another service",
                // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html).
                // A restore in the DR region gets its own managed secret there (config/drCredentials.ts).
                ? { manageMasterUserPassword: true, masterUserSecretKmsKeyId: a.kmsKeyArn }
                : { password: password.result }),
            storageType: "gp3",
            allocatedStorage: a.allocatedStorageGb,
            ...(a.maxAllocatedStorageGb !== undefined ? { maxAllocatedStorage: a.maxAllocatedStorageGb } : {}),
            storageEncrypted: true,
            kmsKeyId: a.kmsKeyArn,
            multiAz: a.multiAz,
            dbSubnetGroupName: subnetGroup.name,
            vpcSecurityGroupIds: [...a.vpcSecurityGroupIds],
            publiclyAccessible: false,
            parameterGroupName: parameterGroup.name,
            backupRetentionPeriod: a.backupRetentionDays,
            backupWindow: a.backupWindow,
            maintenanceWindow: a.maintenanceWindow,
            copyTagsToSnapshot: true,
            deleteAutomatedBackups: false,
            deletionProtection: a.deletionProtection,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: finalSnapshot,
            autoMinorVersionUpgrade: true,
            allowMajorVersionUpgrade: false,
            enabledCloudwatchLogsExports: [...CLOUDWATCH_LOG_EXPORTS],
            performanceInsightsEnabled: insights,
            ...(insights ? { performanceInsightsKmsKeyId: a.kmsKeyArn, performanceInsightsRetentionPeriod: 7 } : {}),
            tags,
        }, { parent: this, protect: a.protect, dependsOn: logGroups });

        let drAutomatedBackupsArn: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (a.replicateBackupsToDr) {
            const replication = new aws.rds.InstanceAutomatedBackupsReplication(`${name}-dr-backups`, {
                sourceDbInstanceArn: instance.arn,
                kmsKeyId: a.drKmsKeyArn,
                retentionPeriod: a.drBackupRetentionDays,
            }, { parent: this, provider: a.drProvider });
            drAutomatedBackupsArn = replication.id;
        }

        this.masterUserSecretArn = password === undefined
            ? instance.masterUserSecrets.apply((secrets) => {
                const arn = secrets[0]?.secretArn;
                if (arn === undefined) throw new Error(`${name}: RDS reported no master-user secret although manageMasterUserPassword is on`);
                return arn;
            })
            : this.replicatedMasterSecret(name, a, instance, password.result);
        this.instanceArn = instance.arn;
        this.instanceIdentifier = instance.identifier;
        this.resourceId = instance.resourceId;
        this.address = instance.address;
        this.port = instance.port;
        this.latestRestorableTime = instance.latestRestorableTime;
        this.subnetGroupName = subnetGroup.name;
        this.securityGroupIds = instance.vpcSecurityGroupIds;
        this.parameterGroupName = parameterGroup.name;
        this.finalSnapshotIdentifier = finalSnapshot;
        this.drAutomatedBackupsArn = drAutomatedBackupsArn;
        this.registerOutputs({
            instanceArn: this.instanceArn,
            instanceIdentifier: this.instanceIdentifier,
            address: this.address,
            port: this.port,
            masterUserSecretArn: this.masterUserSecretArn,
            latestRestorableTime: this.latestRestorableTime,
            resourceId: this.resourceId,
            subnetGroupName: this.subnetGroupName,
            securityGroupIds: this.securityGroupIds,
            parameterGroupName: this.parameterGroupName,
            finalSnapshotIdentifier: this.finalSnapshotIdentifier,
            drAutomatedBackupsArn: this.drAutomatedBackupsArn,
        });
    }

    /**
     * The stack-owned master secret: encrypted with the backup key, replicated by Secrets Manager to
     * the DR region under the replica key, holding the JSON RDS-managed secrets hold. Secrets
     * Manager "replicates the encrypted secret data and metadata such as tags and resource
     * policies"; a replica has the primary's ARN but the Region, is encrypted with the key given
     * for its Region, holds the primary's connection information (so the primary's host), and
     * changes only with the primary until it is promoted to a standalone secret
     * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html,
     * https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html). RDS no
     * longer rotates this password; a rotation schedule on the primary would rotate the replicas
     * with it (same page) but needs a rotation function, which the stack does not declare.
     * Returns the primary secret's ARN.
     */
    private replicatedMasterSecret(name: string, a: Resolved, instance: aws.rds.Instance, password: pulumi.Output<string>): pulumi.Output<string> {
        const secret = new aws.secretsmanager.Secret(`${name}-master-secret`, {
            description: `Master user of the ${name} PostgreSQL instance, replicated to ${a.drRegion ?? ""}`,
            kmsKeyId: a.kmsKeyArn,
            replicas: [{ region: a.drRegion ?? "", kmsKeyId: a.drKmsKeyArn }],
            tags: rdsTags(a.tags, name, a.backupSelectionTag),
        }, { parent: this, protect: a.protect });
        new aws.secretsmanager.SecretVersion(`${name}-master-secret-value`, {
            secretId: secret.id,
            secretString: pulumi.secret(pulumi.all([password, instance.address, instance.port]).apply(([pw, host, port]) =>
                masterSecretJson({ username: a.masterUsername, password: pw, host, port, dbname: a.databaseName }))),
        }, { parent: this });
        return secret.arn;
    }

    /** Checks every argument before anything is created; returns the parameter group family. */
    private validate(a: Resolved): string {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(a.databaseName)) {
            throw fail(`databaseName: "${a.databaseName}" must be 1-63 letters, digits or '_', starting with a letter`);
        }
        if (a.identifier !== undefined && !/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/.test(a.identifier)) {
            throw fail(`identifier: "${a.identifier}" must be 1-63 lower-case letters, digits and single '-', starting with a letter`);
        }
        if (!LOG_RETENTION_DAYS.includes(a.logRetentionDays)) {
            throw fail(`logRetentionDays: ${a.logRetentionDays} is not allowed; expected one of ${LOG_RETENTION_DAYS.join(", ")}`);
        }
        if (!/^[a-z][a-z0-9_]{0,62}$/.test(a.masterUsername)) {
            throw fail(`masterUsername: "${a.masterUsername}" must be 1-63 lower-case letters, digits or '_', starting with a letter`);
        }
        let family: string;
        try {
            family = parameterGroupFamily(a.engineVersion);
        } catch (err) {
            throw fail(err instanceof Error ? err.message : String(err));
        }
        if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(a.instanceClass)) {
            throw fail(`instanceClass: "${a.instanceClass}" is not an instance class like db.t4g.medium`);
        }
        checkInt(fail, "allocatedStorageGb", a.allocatedStorageGb, 20, 65536);
        if (a.maxAllocatedStorageGb !== undefined) {
            checkInt(fail, "maxAllocatedStorageGb", a.maxAllocatedStorageGb, minMaxAllocatedStorageGb(a.allocatedStorageGb), 65536);
        }
        checkInt(fail, "port", a.port, 1150, 65535);
        checkInt(fail, "backupRetentionDays", a.backupRetentionDays, 0, 35);
        const windows = rdsWindowProblems(a.backupWindow, a.maintenanceWindow);
        if (windows.length > 0) throw fail(windows.join("; "));
        if (a.subnetIds.length < 2) {
            throw fail(`subnetIds: ${a.subnetIds.length} subnet(s) given; a DB subnet group needs at least 2, in different availability zones`);
        }
        if (a.logMinDurationStatementMs !== undefined) {
            checkInt(fail, "logMinDurationStatementMs", a.logMinDurationStatementMs, 0, 2147483647);
        }
        if (a.masterCredentials === "replicated") {
            if (a.drRegion === undefined) throw fail(`drRegion: (missing) is required when masterCredentials is "replicated"`);
            if (a.drKmsKeyArn === undefined) throw fail(`drKmsKeyArn: (missing) is required when masterCredentials is "replicated" (the replica key the secret's replica is encrypted with)`);
        } else if (a.masterCredentials !== "rds-managed") {
            throw fail(`masterCredentials: ${JSON.stringify(a.masterCredentials)} is not allowed; expected "rds-managed" or "replicated"`);
        }
        if (a.replicateBackupsToDr) {
            if (a.backupRetentionDays === 0) {
                throw fail("replicateBackupsToDr: true needs automated backups; backupRetentionDays is 0 (set it to 1..35, or replicateBackupsToDr to false)");
            }
            if (a.drProvider === undefined) throw fail("drProvider: (missing) is required when replicateBackupsToDr is true");
            if (a.drKmsKeyArn === undefined) throw fail("drKmsKeyArn: (missing) is required when replicateBackupsToDr is true");
            checkInt(fail, "drBackupRetentionDays", a.drBackupRetentionDays, 1, 35);
        }
        return family;
    }
}

function checkInt(fail: (m: string) => Error, key: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${key}: ${value} is out of range ${min}..${max}`);
}
