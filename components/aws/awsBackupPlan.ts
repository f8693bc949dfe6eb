import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { definedOnly } from "./context";
import {
    backupAssumeRolePolicy,
    BackupDocumentError,
    backupPlanRules,
    backupRoleKmsPolicy,
    backupServiceRolePolicyArns,
    type PlanRuleDocument,
    type PlanRuleTemplate,
    type PlanTiers,
    planRuleTemplates,
    restoreMetadataOverrides,
    restoreTestingName,
    type SelectionTag,
    tagConditions,
    VAULT_NOTIFICATION_EVENTS,
    type VaultLockMode,
    type VaultLockSettings,
    vaultLockBounds,
    vaultLockSettings,
    type Weekday,
} from "./documents/awsBackup";

export interface AwsBackupVaultLockArgs {
    /** @default "GOVERNANCE" - COMPLIANCE becomes immutable after changeableForDays; GOVERNANCE can be lifted by privileged users */
    readonly mode?: VaultLockMode;
    /** @default 7, or the shortest tier's keepDays if shorter - shortest retention a recovery point in the vault may have (fixed for good once a COMPLIANCE lock sets) */
    readonly minRetentionDays?: number;
    /** @default 400, or the longest tier's keepDays if longer - longest retention a recovery point in the vault may have (fixed for good once a COMPLIANCE lock sets) */
    readonly maxRetentionDays?: number;
    /** @default 3 - days a COMPLIANCE lock can still be removed (at least 3); unused in GOVERNANCE mode */
    readonly changeableForDays?: number;
}

export interface AwsBackupRestoreTestingArgs {
    /** @default true - restore the newest RDS recovery point on a schedule, then delete the restore */
    readonly enabled?: boolean;
    /** @default "cron(0 6 ? * SAT *)" - when restore tests run (cron, UTC) */
    readonly schedule?: string;
    /** @default 24 - hours after the scheduled time within which a test must start, 1..168 */
    readonly startWindowHours?: number;
    /** @default 7 - test the newest recovery point created within this many days, 1..365 */
    readonly selectionWindowDays?: number;
    /** @default 4 - hours the restored instance is kept for validation before deletion, 1..168 */
    readonly validationWindowHours?: number;
    /** @default the backed-up instance's class - instance class of the test restores */
    readonly dbInstanceClass?: string;
    /** @default inferred by AWS Backup (the default VPC) - DB subnet group the test restores are placed in */
    readonly dbSubnetGroupName?: pulumi.Input<string>;
    /** @default inferred by AWS Backup - security groups of the test restores */
    readonly vpcSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    /** @default every RDS resource meeting the selection's tag conditions (`*`) - ARNs of the instances to restore-test */
    readonly protectedResourceArns?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AwsBackupPlanArgs {
    /** ARN of the KMS key the vault encrypts recovery points with. Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Retention per tier (keepDays, optional coldStorageAfterDays); the same tiers as the dump bucket. Required. */
    readonly tiers: PlanTiers;
    /**
     * Daily start (cron at one fixed UTC time); weekly and monthly start at the same time.
     * @default "cron(0 1 * * ? *)"
     */
    readonly schedule?: string;
    /**
     * Weekday of the weekly rule.
     * @default "SUN"
     */
    readonly weeklyOn?: Weekday;
    /**
     * Day of month of the monthly rule, 1..28.
     * @default 1
     */
    readonly monthlyOn?: number;
    /**
     * Minutes after the scheduled time within which a job must start.
     * @default 60
     */
    readonly startWindowMinutes?: number;
    /**
     * Minutes after the scheduled time by which a job must finish.
     * @default 480
     */
    readonly completionWindowMinutes?: number;
    /**
     * Lock of the vault (and of the DR vault).
     * @default GOVERNANCE, 7..400 days (widened to the tiers)
     */
    readonly vaultLock?: AwsBackupVaultLockArgs;
    /**
     * Resources with this tag are backed up and restore-tested.
     * @default { key: "backup-plan", value: "pg-backup-stack" }
     */
    readonly selectionTag?: SelectionTag;
    /**
     * A second tag the selected resources must carry as well (e.g. the stack's), so that plans of two stacks in one account never select each other's resources.
     * @default none
     */
    readonly scopeTag?: SelectionTag;
    /**
     * Stem of the restore testing plan's name, which AWS requires unique per account and region.
     * @default the component name
     */
    readonly namePrefix?: string;
    /**
     * Provider of the DR region whose vault receives a copy of every recovery point.
     * @default none - no copy
     */
    readonly drProvider?: aws.Provider;
    /**
     * ARN of the DR-region key of the DR vault; required with drProvider.
     * @default none
     */
    readonly drKmsKeyArn?: pulumi.Input<string>;
    /**
     * SNS topic (same region) for failed backup, copy and restore jobs.
     * @default none - no notifications
     */
    readonly alertTopicArn?: pulumi.Input<string>;
    /**
     * Restore testing of the selected RDS instances.
     * @default enabled, weekly on Saturday 06:00 UTC
     */
    readonly restoreTesting?: AwsBackupRestoreTestingArgs;
    /**
     * Let `pulumi destroy` delete vaults that still hold recovery points (never in prod).
     * @default false
     */
    readonly forceDestroy?: boolean;
    /**
     * Pulumi `protect` on the vaults and their locks.
     * @default false
     */
    readonly protect?: boolean;
    /**
     * Tags of every resource that takes tags.
     * @default {}
     */
    readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULTS = {
    schedule: "cron(0 1 * * ? *)",
    weeklyOn: "SUN" as Weekday,
    monthlyOn: 1,
    startWindowMinutes: 60,
    completionWindowMinutes: 480,
    vaultLock: { mode: "GOVERNANCE" as VaultLockMode, changeableForDays: 3 },
    selectionTag: { key: "backup-plan", value: "pg-backup-stack" },
    restoreTesting: { enabled: true, schedule: "cron(0 6 ? * SAT *)", startWindowHours: 24, selectionWindowDays: 7, validationWindowHours: 4 },
    forceDestroy: false,
    protect: false,
    tags: {} as Readonly<Record<string, string>>,
};

interface Resolved {
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly tiers: PlanTiers;
    readonly schedule: string;
    readonly weeklyOn: Weekday;
    readonly monthlyOn: number;
    readonly startWindowMinutes: number;
    readonly completionWindowMinutes: number;
    readonly vaultLock: Required<AwsBackupVaultLockArgs>;
    readonly selectionTag: SelectionTag;
    readonly scopeTag?: SelectionTag;
    readonly namePrefix: string;
    readonly drProvider?: aws.Provider;
    readonly drKmsKeyArn?: pulumi.Input<string>;
    readonly alertTopicArn?: pulumi.Input<string>;
    readonly restoreTesting: Required<Pick<AwsBackupRestoreTestingArgs,
        "enabled" | "schedule" | "startWindowHours" | "selectionWindowDays" | "validationWindowHours">> &
        Pick<AwsBackupRestoreTestingArgs, "dbInstanceClass" | "dbSubnetGroupName" | "vpcSecurityGroupIds" | "protectedResourceArns">;
    readonly forceDestroy: boolean;
    readonly protect: boolean;
    readonly tags: Readonly<Record<string, string>>;
}

function withDefaults(name: string, args: AwsBackupPlanArgs): Resolved {
    return {
        kmsKeyArn: args.kmsKeyArn,
        tiers: args.tiers,
        schedule: args.schedule ?? DEFAULTS.schedule,
        weeklyOn: args.weeklyOn ?? DEFAULTS.weeklyOn,
        monthlyOn: args.monthlyOn ?? DEFAULTS.monthlyOn,
        startWindowMinutes: args.startWindowMinutes ?? DEFAULTS.startWindowMinutes,
        completionWindowMinutes: args.completionWindowMinutes ?? DEFAULTS.completionWindowMinutes,
        vaultLock: {
            ...DEFAULTS.vaultLock,
            ...definedOnly(args.vaultLock ?? {}),
            ...vaultLockBounds(args.vaultLock ?? {}, args.tiers),
        },
        selectionTag: args.selectionTag ?? DEFAULTS.selectionTag,
        scopeTag: args.scopeTag,
        namePrefix: args.namePrefix ?? name,
        drProvider: args.drProvider,
        drKmsKeyArn: args.drKmsKeyArn,
        alertTopicArn: args.alertTopicArn,
        restoreTesting: { ...DEFAULTS.restoreTesting, ...definedOnly(args.restoreTesting ?? {}) },
        forceDestroy: args.forceDestroy ?? DEFAULTS.forceDestroy,
        protect: args.protect ?? DEFAULTS.protect,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/** Longest component name: the vault's generated name (`<name>-dr-vault-` + 7 characters) must fit AWS Backup's 50. */
const MAX_NAME_LENGTH = 33;

/**
 * AWS Backup for the tagged databases: a locked vault encrypted with the backup key, a plan
 * with daily / weekly / monthly rules from the retention tiers, a copy of every recovery point
 * into a locked DR-region vault, restore testing of RDS instances, and notifications of
 * failed jobs to the alert topic.
 */
export class AwsBackupPlan extends pulumi.ComponentResource {
    /** Name of the backup vault. */
    public readonly vaultName: pulumi.Output<string>;
    /** ARN of the backup vault. */
    public readonly vaultArn: pulumi.Output<string>;
    /** ARN of the DR-region vault; undefined without `drProvider`. */
    public readonly drVaultArn: pulumi.Output<string | undefined>;
    /** ID of the backup plan. */
    public readonly planId: pulumi.Output<string>;
    /** ARN of the backup plan. */
    public readonly planArn: pulumi.Output<string>;
    /** Role AWS Backup uses for backups, copies and restores; the backup key's policy must let it use the key. */
    public readonly roleArn: pulumi.Output<string>;
    /** Name of that role, for attaching the policies of further resource types (S3). */
    public readonly roleName: pulumi.Output<string>;
    /** Name of the restore testing plan; undefined when restore testing is off. */
    public readonly restoreTestingPlanName: pulumi.Output<string | undefined>;

    constructor(name: string, args: AwsBackupPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:AwsBackupPlan", name, {}, opts);
        const a = withDefaults(name, args);
        const { templates, lock, testingNames } = this.validate(name, a);
        const selectedBy = tagConditions([a.selectionTag, ...(a.scopeTag !== undefined ? [a.scopeTag] : [])]);
        const stateful = { parent: this, protect: a.protect };

        const vault = new aws.backup.Vault(`${name}-vault`, {
            kmsKeyArn: a.kmsKeyArn,
            forceDestroy: a.forceDestroy,
            tags: { ...a.tags },
        }, stateful);
        new aws.backup.VaultLockConfiguration(`${name}-vault-lock`, { backupVaultName: vault.name, ...lock }, stateful);

        let drVault: aws.backup.Vault | undefined;
        if (a.drProvider !== undefined) {
            drVault = new aws.backup.Vault(`${name}-dr-vault`, {
                kmsKeyArn: a.drKmsKeyArn,
                forceDestroy: a.forceDestroy,
                tags: { ...a.tags },
            }, { ...stateful, provider: a.drProvider });
            new aws.backup.VaultLockConfiguration(`${name}-dr-vault-lock`, { backupVaultName: drVault.name, ...lock },
                { ...stateful, provider: a.drProvider });
        }

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const role = new aws.iam.Role(`${name}-role`, {
            description: `AWS Backup: backups, DR copies and restore tests of ${name}`,
            assumeRolePolicy: backupAssumeRolePolicy(),
            tags: { ...a.tags },
        }, { parent: this });
        for (const purpose of ["backup", "restores"] as const) {
            new aws.iam.RolePolicyAttachment(`${name}-role-${purpose}`, {
                role: role.name,
                policyArn: partition.apply((p) => backupServiceRolePolicyArns(p)[purpose]),
            }, { parent: this });
        }
        const keyArns = [a.kmsKeyArn, ...(a.drKmsKeyArn !== undefined ? [a.drKmsKeyArn] : [])];
        new aws.iam.RolePolicy(`${name}-role-kms`, {
            role: role.name,
            policy: pulumi.all(keyArns).apply(backupRoleKmsPolicy),
        }, { parent: this });

        const drVaultArn: pulumi.Output<string | undefined> = drVault === undefined ? pulumi.output(undefined) : drVault.arn;
        const plan = new aws.backup.Plan(`${name}-plan`, {
            rules: pulumi.all([vault.name, drVaultArn]).apply(([vaultName, drArn]) =>
                backupPlanRules(templates, vaultName, drArn).map(toPlanRule)),
            tags: { ...a.tags },
        }, { parent: this });

        new aws.backup.Selection(`${name}-selection`, {
            name: "tagged-resources",
            planId: plan.id,
            iamRoleArn: role.arn,
            resources: ["*"],
            conditions: [selectedBy],
        }, { parent: this });

        let restoreTestingPlanName: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (a.restoreTesting.enabled) {
            const t = a.restoreTesting;
            const testingPlan = new aws.backup.RestoreTestingPlan(`${name}-restore-testing`, {
                name: testingNames.plan,
                scheduleExpression: t.schedule,
                startWindowHours: t.startWindowHours,
                recoveryPointSelection: {
                    algorithm: "LATEST_WITHIN_WINDOW",
                    includeVaults: [vault.arn],
                    recoveryPointTypes: ["SNAPSHOT"],
                    selectionWindowDays: t.selectionWindowDays,
                },
                tags: { ...a.tags },
            }, { parent: this });
            new aws.backup.RestoreTestingSelection(`${name}-restore-testing-rds`, {
                name: testingNames.selection,
                restoreTestingPlanName: testingPlan.name,
                protectedResourceType: "RDS",
                ...(t.protectedResourceArns !== undefined
                    ? { protectedResourceArns: t.protectedResourceArns }
                    : { protectedResourceArns: ["*"], protectedResourceConditions: selectedBy }),
                iamRoleArn: role.arn,
                validationWindowHours: t.validationWindowHours,
                restoreMetadataOverrides: pulumi.all([t.dbSubnetGroupName, t.vpcSecurityGroupIds]).apply(([subnetGroup, groups]) =>
                    restoreMetadataOverrides({ dbInstanceClass: t.dbInstanceClass, dbSubnetGroupName: subnetGroup, vpcSecurityGroupIds: groups })),
            }, { parent: this });
            restoreTestingPlanName = testingPlan.name;
        }

        if (a.alertTopicArn !== undefined) {
            new aws.backup.VaultNotifications(`${name}-notifications`, {
                backupVaultName: vault.name,
                snsTopicArn: a.alertTopicArn,
                backupVaultEvents: [...VAULT_NOTIFICATION_EVENTS],
            }, { parent: this });
        }

        this.vaultName = vault.name;
        this.vaultArn = vault.arn;
        this.drVaultArn = drVaultArn;
        this.planId = plan.id;
        this.planArn = plan.arn;
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.restoreTestingPlanName = restoreTestingPlanName;
        this.registerOutputs({
            vaultName: this.vaultName,
            vaultArn: this.vaultArn,
            drVaultArn: this.drVaultArn,
            planId: this.planId,
            planArn: this.planArn,
            roleArn: this.roleArn,
            roleName: this.roleName,
            restoreTestingPlanName: this.restoreTestingPlanName,
        });
    }

    /** Checks every argument before anything is created; returns the rule templates, lock settings and restore testing names. */
    private validate(name: string, a: Resolved): { templates: PlanRuleTemplate[]; lock: VaultLockSettings; testingNames: { plan: string; selection: string } } {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        if (name.length > MAX_NAME_LENGTH) {
            throw fail(`name: "${name}" is ${name.length} characters long; AWS Backup names derived from it allow at most ${MAX_NAME_LENGTH}`);
        }
        if ((a.drProvider === undefined) !== (a.drKmsKeyArn === undefined)) {
            throw fail(`drKmsKeyArn: ${a.drKmsKeyArn === undefined ? "(missing)" : "(set)"} must be given exactly when drProvider is`);
        }
        const t = a.restoreTesting;
        checkInt(fail, "restoreTesting.startWindowHours", t.startWindowHours, 1, 168);
        checkInt(fail, "restoreTesting.selectionWindowDays", t.selectionWindowDays, 1, 365);
        checkInt(fail, "restoreTesting.validationWindowHours", t.validationWindowHours, 1, 168);
        if (t.enabled && !/^cron\(.+\)$/.test(t.schedule)) {
            throw fail(`restoreTesting.schedule: "${t.schedule}" must be a cron(...) expression`);
        }
        if (t.dbInstanceClass !== undefined && !/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(t.dbInstanceClass)) {
            throw fail(`restoreTesting.dbInstanceClass: "${t.dbInstanceClass}" is not an instance class like db.t4g.medium`);
        }
        checkInt(fail, "startWindowMinutes", a.startWindowMinutes, 60, 720);
        checkInt(fail, "completionWindowMinutes", a.completionWindowMinutes, 120, 10080);
        try {
            return {
                templates: planRuleTemplates(a),
                lock: vaultLockSettings(a.vaultLock, a.tiers),
                testingNames: { plan: restoreTestingName(a.namePrefix, "restore_testing"), selection: restoreTestingName(a.namePrefix, "rds") },
            };
        } catch (err) {
            if (err instanceof BackupDocumentError) throw fail(err.message);
            throw err;
        }
    }
}

function checkInt(fail: (m: string) => Error, key: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`${key}: ${value} is out of range ${min}..${max}`);
}

/** The provider's input shape of a rule document. */
function toPlanRule(d: PlanRuleDocument): aws.types.input.backup.PlanRule {
    return {
        ruleName: d.ruleName,
        targetVaultName: d.targetVaultName,
        schedule: d.schedule,
        startWindow: d.startWindow,
        completionWindow: d.completionWindow,
        lifecycle: { ...d.lifecycle },
        copyActions: d.copyActions.map((c) => ({ destinationVaultArn: c.destinationVaultArn, lifecycle: { ...c.lifecycle } })),
        recoveryPointTags: { ...d.recoveryPointTags },
    };
}
