import { strict as assert } from "node:assert";
import { AZURE_SUBSCRIPTION, MockState, RecordedResource, assertAllParented, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { ContainerJobsArgs, RunnerTarget } from "../../../../components/azure/containerJobs";
import { runnerCommand } from "../../../../components/aws/documents/fargate";

const COMPONENT = "pg-backup-stack:azure:ContainerJobs";
const JOB = "azure-native:app:Job";
const ENVIRONMENT = "azure-native:app:ManagedEnvironment";
const WORKSPACE = "azure-native:operationalinsights:Workspace";
const REGISTRY = "azure-native:containerregistry:Registry";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";
const QUERY_RULE = "azure-native:monitor:ScheduledQueryRule";
/** How the engine marks a secret value in resource inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

const RG_ID = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/rg-db`;
const ACCOUNT_ID = `${RG_ID}/providers/Microsoft.Storage/storageAccounts/blogfiles`;
const VAULT_ID = `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-prod`;
const ACTION_GROUP_ID = `${RG_ID}/providers/microsoft.insights/actionGroups/pg`;
const SUBNET_ID = `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/runner`;
/** Built-in role GUIDs as "Azure built-in roles" lists them. */
const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const roleId = (guid: string): string => `/subscriptions/${AZURE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const target = (key: string, overrides: Partial<RunnerTarget> = {}): RunnerTarget => ({
    key,
    host: `${key}-prod.postgres.database.azure.com`,
    serverName: `${key}-prod`,
    databaseName: "app",
    credential: { keyVaultSecretName: `${key}-login` },
    dumpSettings: { WEEKLY_ON: "sunday", MONTHLY_ON_DAY: "1" },
    verifySettings: { VERIFY_DATABASES: key, VERIFY_MAX_BACKUP_AGE_MINUTES: "1560", RTO_MINUTES: "60" },
    ...overrides,
});

const base = (overrides: Partial<ContainerJobsArgs> = {}): ContainerJobsArgs => ({
    resourceGroupName: "rg-db",
    location: "westeurope",
    environment: "prod",
    storage: { accountId: ACCOUNT_ID, blobEndpoint: "https://blogfiles.blob.core.windows.net/", containerName: "backups" },
    keyVault: { id: VAULT_ID, uri: "https://kv-prod.vault.azure.net/" },
    targets: [target("blog")],
    schedules: { dump: "0 2 * * *", verify: "30 4 * * *" },
    actionGroupId: ACTION_GROUP_ID,
    imageTag: "test",
    ...overrides,
});

const envOf = (job: RecordedResource): Record<string, string> =>
    Object.fromEntries((job.inputs["template"]["containers"][0]["env"] as { name: string; value: string }[]).map((v) => [v.name, v.value]));

describe("ContainerJobs (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/azure/containerJobs");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/azure/containerJobs");
    });

    async function create(args: ContainerJobsArgs): Promise<InstanceType<typeof mod.ContainerJobs>> {
        const c = new mod.ContainerJobs("runner", args);
        await unwrap(c.imageRef);
        await settle(mocks);
        return c;
    }

    it("a scheduled job per kind and target, running the Fargate runner's command once, UTC cron, one replica", async () => {
        // given one target without exports; when the runner is created
        const c = await create(base({ timeoutMinutes: { dump: 180 }, retryLimit: 2 }));
        // then a dump and a verify job exist, nothing else
        assert.deepEqual(mocks.ofType(JOB).map((j) => j.name).sort(), ["runner-blog-dump", "runner-blog-verify"]);
        const dump = mocks.one(JOB, "runner-blog-dump");
        assert.equal(dump.inputs["jobName"], "blog-prod-dump");
        assert.deepEqual(c.jobNames, { "blog-dump": "blog-prod-dump", "blog-verify": "blog-prod-verify" });
        const configuration = dump.inputs["configuration"];
        assert.equal(configuration["triggerType"], "Schedule");
        assert.deepEqual(configuration["scheduleTriggerConfig"], { cronExpression: "0 2 * * *", parallelism: 1, replicaCompletionCount: 1 });
        assert.equal(configuration["replicaTimeout"], 180 * 60);
        assert.equal(configuration["replicaRetryLimit"], 2);
        assert.equal(dump.inputs["workloadProfileName"], "Consumption");
        const container = dump.inputs["template"]["containers"][0];
        const { entryPoint, command } = runnerCommand("dump");
        assert.deepEqual(container["command"], entryPoint);
        assert.deepEqual(container["args"], command);
        assert.deepEqual(container["resources"], { cpu: 1, memory: "2Gi" });
        assert.match(container["image"], /^pgbackupprod0a1b2c3d\.azurecr\.io\/pg-backup-functions@sha256:/);
        // and the handler's deadline is 2 minutes inside the replica's timeout
        assert.equal(envOf(dump)["RUN_TIMEOUT_SECONDS"], String(180 * 60 - 120));
        assert.equal(mocks.one(JOB, "runner-blog-verify").inputs["configuration"]["replicaTimeout"], 240 * 60);
        assertAllParented(mocks, COMPONENT, "runner");
    });

    it("an export job only for targets with export settings, on the export schedule", async () => {
        await create(base({
            schedules: { dump: "0 2 * * *", export: "0 * * * *", verify: "30 4 * * *" },
            targets: [target("blog", { exportSettings: { EXPORT_PREFIX: "exports", EXPORT_TABLES: "[]" } }), target("shop")],
        }));
        const exports = mocks.ofType(JOB).filter((j) => j.name.endsWith("-export"));
        assert.deepEqual(exports.map((j) => j.name), ["runner-blog-export"]);
        assert.equal(exports[0]!.inputs["configuration"]["scheduleTriggerConfig"]["cronExpression"], "0 * * * *");
        assert.equal(exports[0]!.inputs["configuration"]["replicaTimeout"], 60 * 60);
    });

    it("the jobs run as the stack's user-assigned identity, pull with it, and know its client id; no secret in any setting", async () => {
        await create(base());
        const identity = mocks.ofType(IDENTITY);
        assert.equal(identity.length, 1);
        for (const job of mocks.ofType(JOB)) {
            assert.deepEqual(job.inputs["identity"], { type: "UserAssigned", userAssignedIdentities: ["runner-identity-id"] });
            assert.deepEqual(job.inputs["configuration"]["registries"], [{ server: "pgbackupprod0a1b2c3d.azurecr.io", identity: "runner-identity-id" }]);
            assert.equal(job.inputs["configuration"]["secrets"], undefined);
            const env = envOf(job);
            assert.equal(env["AZURE_CLIENT_ID"], "runner-identity-client-id");
            assert.equal(env["STORAGE_PROVIDER"], "azure-blob");
            assert.equal(env["BACKUP_CONTAINER"], "backups");
            assert.ok(Object.values(env).every((v) => !/AccountKey=|SharedAccessSignature|sig=/i.test(v)), "no key or SAS");
        }
        assert.equal(envOf(mocks.one(JOB, "runner-blog-dump"))["DB_KEYVAULT_SECRET_URI"], "https://kv-prod.vault.azure.net/secrets/blog-login");
        const verify = envOf(mocks.one(JOB, "runner-blog-verify"));
        assert.equal(verify["VERIFY_DB_KEYVAULT_SECRET_URI"], "https://kv-prod.vault.azure.net/secrets/blog-login");
        assert.equal(verify["AZURE_SUBSCRIPTION_ID"], AZURE_SUBSCRIPTION);
    });

    it("least-privilege role assignments: AcrPull on the registry, Secrets User per secret, Reader on the group, the blob role on the container", async () => {
        // given two targets, one with a Key Vault secret and one with an Entra role
        await create(base({ targets: [target("blog"), target("shop", { credential: { entraUser: "pg-runner" } })] }));
        const assignments = mocks.ofType(ASSIGNMENT);
        const byName = (n: string): RecordedResource => mocks.one(ASSIGNMENT, `runner-${n}`);
        // then each is given to the identity as a service principal
        for (const a of assignments) {
            assert.equal(a.inputs["principalId"], "runner-identity-principal-id");
            assert.equal(a.inputs["principalType"], "ServicePrincipal");
        }
        assert.deepEqual(assignments.map((a) => a.name).sort(), ["runner-acr-pull", "runner-blob-writer", "runner-reader", "runner-secret-blog-login"]);
        assert.deepEqual([byName("acr-pull").inputs["roleDefinitionId"], byName("acr-pull").inputs["scope"]], [roleId(ACR_PULL), "runner-registry-id"]);
        assert.deepEqual([byName("reader").inputs["roleDefinitionId"], byName("reader").inputs["scope"]], [roleId(READER), RG_ID]);
        assert.deepEqual([byName("secret-blog-login").inputs["roleDefinitionId"], byName("secret-blog-login").inputs["scope"]],
            [roleId(KEY_VAULT_SECRETS_USER), `${VAULT_ID}/secrets/blog-login`]);
        // and the blob role is a custom one, assignable in the group only, without delete, assigned on the one container
        const blobRole = mocks.one(ROLE_DEFINITION, "runner-blob-writer");
        assert.equal(blobRole.inputs["scope"], RG_ID);
        assert.deepEqual(blobRole.inputs["assignableScopes"], [RG_ID]);
        const dataActions: string[] = blobRole.inputs["permissions"][0]["dataActions"];
        assert.ok(dataActions.every((a) => !/delete|\*/i.test(a)), dataActions.join(", "));
        assert.deepEqual([byName("blob-writer").inputs["roleDefinitionId"], byName("blob-writer").inputs["scope"]],
            [roleId(blobRole.inputs["roleDefinitionId"]), `${ACCOUNT_ID}/blobServices/default/containers/backups`]);
    });

    it("the jobs wait for their role assignments, so the first run can pull the image and write", async () => {
        await create(base());
        const dump = mocks.one(JOB, "runner-blog-dump");
        for (const needed of ["runner-acr-pull", "runner-blob-writer", "runner-secret-blog-login"]) {
            assert.ok(dump.dependencies.some((urn) => urn.endsWith(`::${needed}`)), `${needed} in ${dump.dependencies.join(", ")}`);
        }
    });

    it("a workload-profiles environment logging to a workspace with the configured retention; the shared key stays secret", async () => {
        await create(base({ logRetentionDays: 365 }));
        const workspace = mocks.one(WORKSPACE, "runner-logs");
        assert.equal(workspace.inputs["retentionInDays"], 365);
        assert.deepEqual(workspace.inputs["sku"], { name: "PerGB2018" });
        const env = mocks.one(ENVIRONMENT, "runner-env");
        assert.deepEqual(env.inputs["workloadProfiles"], [{ name: "Consumption", workloadProfileType: "Consumption" }]);
        const logs = env.inputs["appLogsConfiguration"];
        assert.equal(logs[SECRET_SIG], SECRET_MARK, "the block with the shared key reaches the engine as a secret");
        assert.deepEqual(logs["value"], {
            destination: "log-analytics",
            logAnalyticsConfiguration: { customerId: "runner-logs-customer-id", sharedKey: "workspace-shared-key" },
        });
        assert.equal(env.inputs["vnetConfiguration"], undefined);
    });

    it("an infrastructure subnet makes the environment internal to that VNet", async () => {
        await create(base({ infrastructureSubnetId: SUBNET_ID }));
        assert.deepEqual(mocks.one(ENVIRONMENT, "runner-env").inputs["vnetConfiguration"], { infrastructureSubnetId: SUBNET_ID, internal: true });
    });

    it("a registry of the stack without admin user or anonymous pull", async () => {
        await create(base());
        const registry = mocks.one(REGISTRY, "runner-registry");
        assert.equal(registry.inputs["registryName"], "pgbackupprod0a1b2c3d");
        assert.equal(registry.inputs["adminUserEnabled"], false);
        assert.equal(registry.inputs["anonymousPullEnabled"], false);
        const image = mocks.one("docker-build:index:Image", "runner-image");
        assert.deepEqual(image.inputs["tags"], ["pgbackupprod0a1b2c3d.azurecr.io/pg-backup-functions:test"]);
        assert.deepEqual(image.inputs["platforms"], ["linux/amd64"]);
        assert.equal(image.inputs["registries"], undefined, "the push uses the deployer's login, no registry password in the program");
    });

    it("log search alerts on the workspace to the action group: failed runs, missing dump and verify, failed executions", async () => {
        await create(base({ maxBackupAgeHours: 30 }));
        const rules = mocks.ofType(QUERY_RULE);
        assert.deepEqual(rules.map((r) => r.name).sort(), [
            "runner-blog-dump-failed", "runner-blog-dump-missing", "runner-blog-verify-failed", "runner-blog-verify-missing", "runner-execution-failed",
        ]);
        for (const r of rules) {
            assert.deepEqual(r.inputs["scopes"], ["runner-logs-id"]);
            assert.deepEqual(r.inputs["actions"], { actionGroups: [ACTION_GROUP_ID] });
            assert.equal(r.inputs["kind"], "LogAlert");
            assert.equal(r.inputs["enabled"], true);
        }
        const missing = mocks.one(QUERY_RULE, "runner-blog-dump-missing").inputs;
        assert.equal(missing["overrideQueryTimeRange"], "PT30H");
        assert.equal(missing["criteria"]["allOf"][0]["operator"], "LessThan");
        assert.match(missing["criteria"]["allOf"][0]["query"], /tostring\(result\.outcome\) == "succeeded"/);
        assert.match(mocks.one(QUERY_RULE, "runner-execution-failed").inputs["criteria"]["allOf"][0]["query"], /"blog-prod-dump", "blog-prod-verify"/);
    });

    it("no alerts without an action group", async () => {
        const { actionGroupId: _none, ...args } = base();
        await create(args);
        assert.deepEqual(mocks.ofType(QUERY_RULE), []);
    });

    describe("refuses impossible arguments before creating anything", () => {
        const cases: [string, Partial<ContainerJobsArgs>, RegExp][] = [
            ["a memory the Consumption profile does not pair with the CPU", { cpu: 1, memoryGi: 4 }, /memoryGi: 4 is not allowed with cpu 1/],
            ["a CPU off the Consumption steps", { cpu: 0.3 }, /cpu: 0\.3 is not a Consumption-profile size/],
            ["a non-standard cron", { schedules: { dump: "cron(0 2 * * ? *)", verify: "30 4 * * *" } }, /schedules\.dump: .* fields/],
            ["a secret without a vault", { keyVault: undefined }, /targets\[0\]\.credential\.keyVaultSecretName: "blog-login" needs keyVault/],
            ["a missing-backup window longer than a log alert looks back", { maxBackupAgeHours: 72 }, /maxBackupAgeHours: 72 is out of range 1\.\.48/],
            ["a retention Log Analytics does not offer", { logRetentionDays: 7 }, /logRetentionDays: 7 is out of range 30\.\.730/],
            ["a target named twice", { targets: [target("blog"), target("blog")] }, /targets\[1\]\.key: "blog" is used twice/],
            ["a client the image does not package", { pgMajor: 18 }, /pgMajor: 18 is out of range 15\.\.17/],
            ["a build context without the Dockerfile", { contextPath: "/tmp" }, /contextPath: "\/tmp" has no Dockerfile/],
        ];
        for (const [what, overrides, message] of cases) {
            it(what, () => {
                assert.throws(() => new mod.ContainerJobs("runner", base(overrides)), message);
                assert.deepEqual(mocks.ofType(JOB), []);
            });
        }
    });
});
