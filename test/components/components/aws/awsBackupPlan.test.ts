import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { childrenOf, MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { AwsBackupPlanArgs } from "../../../../components/aws/awsBackupPlan";
import type { PlanTiers } from "../../../../components/aws/documents/awsBackup";

const COMPONENT = "pg-backup-stack:aws:AwsBackupPlan";
const VAULT = "aws:backup/vault:Vault";
const LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration";
const PLAN = "aws:backup/plan:Plan";
const SELECTION = "aws:backup/selection:Selection";
const TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan";
const TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection";
const NOTIFICATIONS = "aws:backup/vaultNotifications:VaultNotifications";
const ROLE = "aws:iam/role:Role";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/primary";
const DR_KEY = "arn:aws:kms:eu-central-1:123456789012:key/replica";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";

const TIERS: PlanTiers = {
    daily: { keepDays: 7 },
    weekly: { keepDays: 35 },
    monthly: { keepDays: 365, coldStorageAfterDays: 90 },
};

interface Rule {
    ruleName: string;
    targetVaultName: string;
    schedule: string;
    startWindow: number;
    completionWindow: number;
    lifecycle: { coldStorageAfter?: number; deleteAfter: number };
    copyActions: { destinationVaultArn: string; lifecycle: unknown }[];
}

describe("AwsBackupPlan (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/awsBackupPlan");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/awsBackupPlan");
    });

    const base: AwsBackupPlanArgs = { kmsKeyArn: KEY, tiers: TIERS };

    function production(dr: aws.Provider): AwsBackupPlanArgs {
        return {
            ...base,
            schedule: "cron(30 0 * * ? *)",
            weeklyOn: "SAT",
            monthlyOn: 2,
            startWindowMinutes: 90,
            completionWindowMinutes: 600,
            vaultLock: { mode: "COMPLIANCE", minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 5 },
            drProvider: dr,
            drKmsKeyArn: DR_KEY,
            alertTopicArn: TOPIC,
            restoreTesting: { dbInstanceClass: "db.t4g.small", dbSubnetGroupName: "orders-subnets", vpcSecurityGroupIds: ["sg-0db"] },
            protect: true,
        };
    }

    it("production: CMK vaults locked in COMPLIANCE mode, in both regions, protected", async () => {
        // given a production plan with a DR region
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        const plan = new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        // when the vaults and locks are inspected
        const vault = mocks.one(VAULT, "prod-vault");
        const drVault = mocks.one(VAULT, "prod-dr-vault");
        // then each vault has its region's key and a compliance lock with the grace period
        assert.strictEqual(vault.inputs["kmsKeyArn"], KEY);
        assert.strictEqual(drVault.inputs["kmsKeyArn"], DR_KEY);
        assert.match(drVault.provider ?? "", /::dr::/);
        assert.strictEqual(vault.inputs["forceDestroy"], false);
        for (const [lock, vaultName] of [["prod-vault-lock", "prod-vault-generated"], ["prod-dr-vault-lock", "prod-dr-vault-generated"]] as const) {
            const l = mocks.one(LOCK, lock);
            assert.deepStrictEqual({ ...l.inputs }, { backupVaultName: vaultName, minRetentionDays: 7, maxRetentionDays: 400, changeableForDays: 5 });
            assert.strictEqual(l.protect, true);
        }
        assert.match(mocks.one(LOCK, "prod-dr-vault-lock").provider ?? "", /::dr::/);
        assert.strictEqual(vault.protect, true);
        assert.strictEqual(await unwrap(plan.vaultName), "prod-vault-generated");
    });

    it("production: daily/weekly/monthly rules from the tiers, each copied to the DR vault", async () => {
        // given a production plan
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        const plan = new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        // when the plan's rules are inspected
        const rules = mocks.one(PLAN, "prod-plan").inputs["rules"] as Rule[];
        const drVaultArn = await unwrap(plan.drVaultArn);
        // then schedules derive from the daily time, lifecycles from the tiers, and every rule copies to DR
        assert.deepStrictEqual(rules.map((r) => [r.ruleName, r.schedule, r.lifecycle]), [
            ["daily", "cron(30 0 * * ? *)", { deleteAfter: 7 }],
            ["weekly", "cron(30 0 ? * SAT *)", { deleteAfter: 35 }],
            ["monthly", "cron(30 0 2 * ? *)", { coldStorageAfter: 90, deleteAfter: 365 }],
        ]);
        for (const r of rules) {
            assert.strictEqual(r.targetVaultName, "prod-vault-generated");
            assert.strictEqual(r.startWindow, 90);
            assert.strictEqual(r.completionWindow, 600);
            assert.deepStrictEqual(r.copyActions, [{ destinationVaultArn: drVaultArn, lifecycle: r.lifecycle }]);
        }
        assert.ok(drVaultArn !== undefined && drVaultArn.includes("prod-dr-vault"));
    });

    it("selection by tag, with a role that may back up, restore and use both keys", async () => {
        // given a production plan
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        const plan = new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        // when the selection and the role are inspected
        const selection = mocks.one(SELECTION, "prod-selection").inputs;
        const roleArn = await unwrap(plan.roleArn);
        // then the plan selects the tagged resources through the role
        assert.deepStrictEqual(selection["resources"], ["*"]);
        assert.deepStrictEqual(selection["conditions"], [{ stringEquals: [{ key: "aws:ResourceTag/backup-plan", value: "pg-backup-stack" }] }]);
        assert.strictEqual(selection["selectionTags"], undefined);
        assert.strictEqual(selection["iamRoleArn"], roleArn);
        assert.strictEqual(selection["planId"], await unwrap(plan.planId));
        const trust = JSON.parse(mocks.one(ROLE, "prod-role").inputs["assumeRolePolicy"] as string) as { Statement: { Principal: unknown }[] };
        assert.deepStrictEqual(trust.Statement[0]?.Principal, { Service: "backup.amazonaws.com" });
        assert.deepStrictEqual(mocks.ofType(ATTACHMENT).map((a) => a.inputs["policyArn"]).sort(), [
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        ]);
        const kms = JSON.parse(mocks.one(ROLE_POLICY, "prod-role-kms").inputs["policy"] as string) as { Statement: { Resource: string[] }[] };
        assert.deepStrictEqual(kms.Statement[0]?.Resource, [DR_KEY, KEY].sort());
    });

    it("restore testing of the tagged RDS instances, with the metadata overrides", async () => {
        // given a production plan with restore-test overrides
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        const plan = new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        // when the restore testing plan and selection are inspected
        const testing = mocks.one(TESTING_PLAN, "prod-restore-testing").inputs;
        const selection = mocks.one(TESTING_SELECTION, "prod-restore-testing-rds").inputs;
        // then the newest snapshot of the vault is tested weekly, RDS instances chosen by the tag
        assert.strictEqual(testing["name"], "prod_restore_testing");
        assert.strictEqual(testing["scheduleExpression"], "cron(0 6 ? * SAT *)");
        assert.deepStrictEqual(testing["recoveryPointSelection"], {
            algorithm: "LATEST_WITHIN_WINDOW",
            includeVaults: [await unwrap(plan.vaultArn)],
            recoveryPointTypes: ["SNAPSHOT"],
            selectionWindowDays: 7,
        });
        assert.strictEqual(selection["restoreTestingPlanName"], "prod_restore_testing");
        assert.strictEqual(selection["protectedResourceType"], "RDS");
        assert.deepStrictEqual(selection["protectedResourceArns"], ["*"]);
        assert.deepStrictEqual(selection["protectedResourceConditions"], { stringEquals: [{ key: "aws:ResourceTag/backup-plan", value: "pg-backup-stack" }] });
        assert.deepStrictEqual(selection["restoreMetadataOverrides"], { dbInstanceClass: "db.t4g.small", dbSubnetGroupName: "orders-subnets", vpcSecurityGroupIds: "[\"sg-0db\"]" });
        assert.strictEqual(selection["validationWindowHours"], 4);
        assert.strictEqual(await unwrap(plan.restoreTestingPlanName), "prod_restore_testing");
    });

    it("a scope tag and name prefix keep the selections and the restore testing names to one stack", async () => {
        // given a plan scoped to the prod stack, restore-testing named instances
        const arns = ["arn:aws:rds:eu-west-1:123456789012:db:pg-backup-prod-orders"];
        new mod.AwsBackupPlan("rds", {
            ...base,
            selectionTag: { key: "backup-plan", value: "pg-backup-prod" },
            scopeTag: { key: "pg-backup-stack:stack", value: "prod" },
            namePrefix: "pg-backup-prod",
            restoreTesting: { protectedResourceArns: arns },
        });
        await settle(mocks);
        // when the selections and the restore testing plan are inspected
        const selection = mocks.one(SELECTION, "rds-selection").inputs;
        const testing = mocks.one(TESTING_PLAN, "rds-restore-testing").inputs;
        const testingSelection = mocks.one(TESTING_SELECTION, "rds-restore-testing-rds").inputs;
        // then backups need both tags (conditions are ANDed), restore tests take the named instances only, names carry the stack
        assert.deepStrictEqual(selection["conditions"], [{ stringEquals: [
            { key: "aws:ResourceTag/backup-plan", value: "pg-backup-prod" },
            { key: "aws:ResourceTag/pg-backup-stack:stack", value: "prod" },
        ] }]);
        assert.deepStrictEqual(testingSelection["protectedResourceArns"], arns);
        assert.strictEqual(testingSelection["protectedResourceConditions"], undefined);
        assert.strictEqual(testing["name"], "pg_backup_prod_restore_testing");
        assert.strictEqual(testingSelection["name"], "pg_backup_prod_rds");
    });

    it("vault notifications carry failed backups (via COMPLETED states), failed copies and restores to the topic", async () => {
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        const n = mocks.one(NOTIFICATIONS, "prod-notifications").inputs;
        assert.strictEqual(n["snsTopicArn"], TOPIC);
        assert.strictEqual(n["backupVaultName"], "prod-vault-generated");
        assert.deepStrictEqual([...(n["backupVaultEvents"] as string[])].sort(), ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED"]);
    });

    it("defaults: one GOVERNANCE-locked vault, no DR copy, no notifications, restore testing on", async () => {
        // given only the key and the tiers
        const plan = new mod.AwsBackupPlan("stg", base);
        await settle(mocks);
        // then
        assert.deepStrictEqual(mocks.ofType(VAULT).map((v) => v.name), ["stg-vault"]);
        const lock = mocks.one(LOCK, "stg-vault-lock").inputs;
        assert.strictEqual(lock["changeableForDays"], undefined);
        assert.deepStrictEqual([lock["minRetentionDays"], lock["maxRetentionDays"]], [7, 400]);
        const rules = mocks.one(PLAN, "stg-plan").inputs["rules"] as Rule[];
        assert.deepStrictEqual(rules.map((r) => r.schedule), ["cron(0 1 * * ? *)", "cron(0 1 ? * SUN *)", "cron(0 1 1 * ? *)"]);
        assert.ok(rules.every((r) => r.copyActions.length === 0 && r.startWindow === 60 && r.completionWindow === 480));
        assert.deepStrictEqual(mocks.ofType(NOTIFICATIONS), []);
        assert.deepStrictEqual(mocks.ofType(TESTING_SELECTION)[0]?.inputs["restoreMetadataOverrides"], {});
        assert.strictEqual(mocks.one(VAULT, "stg-vault").protect, false);
        assert.strictEqual(await unwrap(plan.drVaultArn), undefined);
        const kms = JSON.parse(mocks.one(ROLE_POLICY, "stg-role-kms").inputs["policy"] as string) as { Statement: { Resource: string[] }[] };
        assert.deepStrictEqual(kms.Statement[0]?.Resource, [KEY]);
    });

    it("restore testing can be switched off", async () => {
        const plan = new mod.AwsBackupPlan("off", { ...base, restoreTesting: { enabled: false } });
        await settle(mocks);
        assert.deepStrictEqual([...mocks.ofType(TESTING_PLAN), ...mocks.ofType(TESTING_SELECTION)], []);
        assert.strictEqual(await unwrap(plan.restoreTestingPlanName), undefined);
    });

    it("every child is parented to the component", async () => {
        const dr = new aws.Provider("dr", { region: "eu-central-1" });
        new mod.AwsBackupPlan("prod", production(dr));
        await settle(mocks);
        assert.deepStrictEqual(childrenOf(mocks, COMPONENT, "prod").sort(), [
            `${ATTACHMENT}::prod-role-backup`,
            `${ATTACHMENT}::prod-role-restores`,
            `${NOTIFICATIONS}::prod-notifications`,
            `${PLAN}::prod-plan`,
            `${TESTING_PLAN}::prod-restore-testing`,
            `${TESTING_SELECTION}::prod-restore-testing-rds`,
            `${SELECTION}::prod-selection`,
            `${LOCK}::prod-dr-vault-lock`,
            `${LOCK}::prod-vault-lock`,
            `${VAULT}::prod-dr-vault`,
            `${VAULT}::prod-vault`,
            `${ROLE_POLICY}::prod-role-kms`,
            `${ROLE}::prod-role`,
        ].sort());
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, Partial<AwsBackupPlanArgs>, RegExp][] = [
            ["cold storage shorter than 90 days", { tiers: { ...TIERS, weekly: { keepDays: 35, coldStorageAfterDays: 7 } } }, /weekly\.coldStorageAfterDays: 7 needs keepDays of at least 97/],
            ["tier beyond the lock", { vaultLock: { maxRetentionDays: 300 } }, /monthly\.keepDays: 365 is outside the vault lock's 7\.\.300 days/],
            ["tier under the lock", { vaultLock: { minRetentionDays: 14 } }, /daily\.keepDays: 7 is outside the vault lock's 14\.\.400 days/],
            ["compliance grace under 3 days", { vaultLock: { mode: "COMPLIANCE", changeableForDays: 1 } }, /changeableForDays: 1 must be at least 3/],
            ["schedule not daily", { schedule: "cron(0 1 ? * MON *)" }, /schedule: "cron\(0 1 \? \* MON \*\)" must be a daily cron at one fixed UTC time/],
            ["completion inside start window", { startWindowMinutes: 120, completionWindowMinutes: 120 }, /completionWindowMinutes: 120 must be greater than startWindowMinutes \(120\)/],
            ["start window", { startWindowMinutes: 30 }, /startWindowMinutes: 30 is out of range 60\.\.720/],
            ["DR key without provider", { drKmsKeyArn: DR_KEY }, /drKmsKeyArn: \(set\) must be given exactly when drProvider is/],
            ["restore schedule", { restoreTesting: { schedule: "rate(7 days)" } }, /restoreTesting\.schedule: "rate\(7 days\)" must be a cron/],
            ["restore validation window", { restoreTesting: { validationWindowHours: 200 } }, /restoreTesting\.validationWindowHours: 200 is out of range 1\.\.168/],
            ["restore instance class", { restoreTesting: { dbInstanceClass: "t4g.small" } }, /restoreTesting\.dbInstanceClass: "t4g\.small" is not an instance class/],
        ];
        for (const [what, bad, message] of cases) {
            it(what, async () => {
                assert.throws(() => new mod.AwsBackupPlan("bad", { ...base, ...bad }), message);
                await settle(mocks);
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type.startsWith("aws:")).map((r) => r.name), []);
            });
        }

        it("a name too long for the generated vault names", () => {
            assert.throws(() => new mod.AwsBackupPlan("x".repeat(34), base), /name: "x{34}" is 34 characters long; AWS Backup names derived from it allow at most 33/);
        });
    });
});
