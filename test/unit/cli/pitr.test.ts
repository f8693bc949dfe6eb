import assert from "node:assert/strict";
import {
    DBInstanceNotFoundFault,
    DescribeDBInstanceAutomatedBackupsCommand,
    DescribeDBInstancesCommand,
    RestoreDBInstanceToPointInTimeCommand,
    type DBInstance,
    type DBInstanceAutomatedBackup,
    type RestoreDBInstanceToPointInTimeCommandInput,
} from "@aws-sdk/client-rds";
import type { PostgreSQLManagementFlexibleServerClient, Server } from "@azure/arm-postgresql-flexible";
import { ArgumentError } from "../../../cli/args";
import { runPitr, type PitrDeps } from "../../../cli/pitr";
import { parsePitrArgs } from "../../../cli/pitr/args";
import { planAzurePitr, type AzureServerPoller, type AzureServersApi } from "../../../cli/pitr/azure";
import { planRdsPitr, waitForRdsInstance, type RdsApi } from "../../../cli/pitr/rds";
import { PitrError, restoreTimeWithin } from "../../../cli/pitr/shared";

/** Compile-time proof that the real Azure SDK's servers client fits what the restore takes. */
export const azureServersFit = (client: PostgreSQLManagementFlexibleServerClient): AzureServersApi => client.servers;

const NOW = new Date("2026-03-10T12:00:00Z");
const EARLIEST = new Date("2026-02-24T03:10:00Z");
const LATEST = new Date("2026-03-10T11:55:00Z");
const ACCOUNT = "123456789012";
const PRIMARY_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/mrk-1111aaaa2222bbbb3333cccc4444dddd`;
const REPLICA_KEY = `arn:aws:kms:eu-central-1:${ACCOUNT}:key/mrk-1111aaaa2222bbbb3333cccc4444dddd`;
const PRIMARY_BACKUP_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:auto-backup:ab-primary0000000000000000000`;
const DR_BACKUP_ARN = `arn:aws:rds:eu-central-1:${ACCOUNT}:auto-backup:ab-replica0000000000000000000`;

function sourceInstance(): DBInstance {
    return {
        DBInstanceIdentifier: "orders-db",
        DBInstanceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:orders-db`,
        DbiResourceId: "db-ORDERS0000000000000000000",
        DBInstanceStatus: "available",
        DBInstanceClass: "db.m6g.large",
        Engine: "postgres",
        MultiAZ: true,
        StorageType: "gp3",
        Iops: 3000,
        StorageEncrypted: true,
        KmsKeyId: PRIMARY_KEY,
        BackupRetentionPeriod: 14,
        LatestRestorableTime: LATEST,
        DBSubnetGroup: { DBSubnetGroupName: "orders-subnets" },
        VpcSecurityGroups: [{ VpcSecurityGroupId: "sg-0aaaaaaaaaaaaaaa1", Status: "active" }, { VpcSecurityGroupId: "sg-0bbbbbbbbbbbbbbb2", Status: "active" }],
        DBParameterGroups: [{ DBParameterGroupName: "orders-pg15-tls" }],
        Endpoint: { Address: "orders-db.abc.eu-west-1.rds.amazonaws.com", Port: 5432 },
        PubliclyAccessible: false,
        CopyTagsToSnapshot: true,
        IAMDatabaseAuthenticationEnabled: false,
        EnabledCloudwatchLogsExports: ["postgresql", "upgrade"],
        MaxAllocatedStorage: 1000,
        MasterUserSecret: { SecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:rds!db-1`, KmsKeyId: PRIMARY_KEY },
        DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: DR_BACKUP_ARN }],
    };
}

interface RdsCall {
    readonly region: string;
    readonly command: string;
    readonly input: unknown;
}

/** RDS per region: answers exactly the three commands the restore uses and throws for any other. */
class FakeRds {
    readonly calls: RdsCall[] = [];
    readonly instances = new Map<string, DBInstance>();
    readonly backups = new Map<string, DBInstanceAutomatedBackup[]>();
    readonly unreachable = new Set<string>();
    /** Statuses a restored instance goes through, one per DescribeDBInstances of it. */
    restoredStatuses: string[] = ["creating", "backing-up", "available"];

    constructor() {
        this.instances.set("eu-west-1/orders-db", sourceInstance());
        this.backups.set("eu-west-1", [
            { DBInstanceAutomatedBackupsArn: PRIMARY_BACKUP_ARN, DbiResourceId: "db-ORDERS0000000000000000000", DBInstanceIdentifier: "orders-db", Status: "active", RestoreWindow: { EarliestTime: EARLIEST, LatestTime: LATEST }, KmsKeyId: PRIMARY_KEY },
        ]);
        this.backups.set("eu-central-1", [
            {
                DBInstanceAutomatedBackupsArn: DR_BACKUP_ARN,
                DBInstanceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:orders-db`,
                DbiResourceId: "db-ORDERS0000000000000000000",
                DBInstanceIdentifier: "orders-db",
                Region: "eu-west-1",
                Status: "replicating",
                RestoreWindow: { EarliestTime: new Date("2026-03-03T04:00:00Z"), LatestTime: new Date("2026-03-10T11:40:00Z") },
                KmsKeyId: REPLICA_KEY,
                StorageType: "gp3",
                Port: 5432,
            },
        ]);
    }

    rdsFor = (region: string): RdsApi => ({ send: (command: unknown) => this.send(region, command) }) as unknown as RdsApi;

    restores(): { region: string; input: RestoreDBInstanceToPointInTimeCommandInput }[] {
        return this.calls.filter((c) => c.command === "RestoreDBInstanceToPointInTime").map((c) => ({ region: c.region, input: c.input as RestoreDBInstanceToPointInTimeCommandInput }));
    }

    private async send(region: string, command: unknown): Promise<unknown> {
        const name = typeof command === "object" && command !== null ? command.constructor.name.replace(/Command$/, "") : String(command);
        if (this.unreachable.has(region)) {
            throw new Error(`connect ETIMEDOUT rds.${region}.amazonaws.com`);
        }
        if (command instanceof DescribeDBInstancesCommand) {
            this.calls.push({ region, command: name, input: command.input });
            const id = command.input.DBInstanceIdentifier ?? "";
            const instance = this.instances.get(`${region}/${id}`);
            if (instance === undefined) {
                throw new DBInstanceNotFoundFault({ message: `DBInstance ${id} not found.`, $metadata: { httpStatusCode: 404 } });
            }
            if (instance.TagList?.some((t) => t.Key === "restored-from") === true) {
                const status = this.restoredStatuses.length > 1 ? this.restoredStatuses.shift() : this.restoredStatuses[0];
                return { DBInstances: [{ ...instance, DBInstanceStatus: status }] };
            }
            return { DBInstances: [instance] };
        }
        if (command instanceof DescribeDBInstanceAutomatedBackupsCommand) {
            this.calls.push({ region, command: name, input: command.input });
            const { DbiResourceId, DBInstanceIdentifier } = command.input;
            return {
                DBInstanceAutomatedBackups: (this.backups.get(region) ?? []).filter(
                    (b) => (DbiResourceId === undefined || b.DbiResourceId === DbiResourceId) && (DBInstanceIdentifier === undefined || b.DBInstanceIdentifier === DBInstanceIdentifier),
                ),
            };
        }
        if (command instanceof RestoreDBInstanceToPointInTimeCommand) {
            this.calls.push({ region, command: name, input: command.input });
            const id = command.input.TargetDBInstanceIdentifier ?? "";
            const key = command.input.SourceDBInstanceAutomatedBackupsArn !== undefined ? REPLICA_KEY : PRIMARY_KEY;
            const created: DBInstance = {
                DBInstanceIdentifier: id,
                DBInstanceStatus: "creating",
                KmsKeyId: key,
                Endpoint: { Address: `${id}.abc.${region}.rds.amazonaws.com`, Port: 5432 },
                TagList: command.input.Tags,
            };
            this.instances.set(`${region}/${id}`, created);
            return { DBInstance: created };
        }
        throw new Error(`FakeRds: ${name} is not a command the point-in-time restore may send`);
    }
}

interface AzureCall {
    readonly method: "get" | "beginCreateOrUpdate";
    readonly resourceGroup: string;
    readonly name: string;
    readonly parameters?: Server;
}

const SOURCE_SERVER_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/blog-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/blog-db";

/** The servers client of a subscription: get and beginCreateOrUpdate, 404 for unknown servers. */
class FakeServers implements AzureServersApi {
    readonly calls: AzureCall[] = [];
    readonly servers = new Map<string, Server>([
        [
            "blog-rg/blog-db",
            {
                id: SOURCE_SERVER_ID,
                name: "blog-db",
                location: "East US",
                state: "Ready",
                backup: { backupRetentionDays: 30, geoRedundantBackup: "Enabled", earliestRestoreDate: new Date("2026-02-08T12:30:00Z") },
            },
        ],
    ]);

    async get(resourceGroup: string, name: string): Promise<Server> {
        this.calls.push({ method: "get", resourceGroup, name });
        const server = this.servers.get(`${resourceGroup}/${name}`);
        if (server === undefined) {
            throw Object.assign(new Error(`The Resource 'Microsoft.DBforPostgreSQL/flexibleServers/${name}' was not found.`), { name: "RestError", statusCode: 404, code: "ResourceNotFound" });
        }
        return server;
    }

    async beginCreateOrUpdate(resourceGroup: string, name: string, parameters: Server): Promise<AzureServerPoller> {
        this.calls.push({ method: "beginCreateOrUpdate", resourceGroup, name, parameters });
        const created: Server = { ...parameters, name, state: "Ready", fullyQualifiedDomainName: `${name}.postgres.database.azure.com` };
        this.servers.set(`${resourceGroup}/${name}`, created);
        return { pollUntilDone: async () => created };
    }

    creates(): AzureCall[] {
        return this.calls.filter((c) => c.method === "beginCreateOrUpdate");
    }
}

function deps(rds: FakeRds, servers = new FakeServers()): PitrDeps & { lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    let clock = NOW.getTime();
    return {
        rdsFor: rds.rdsFor,
        azureServers: async () => servers,
        now: () => new Date(clock),
        sleep: async (ms) => {
            clock += ms;
        },
        pollSeconds: 30,
        out: (line) => void lines.push(line),
        err: (line) => void errors.push(line),
        lines,
        errors,
    };
}

const RDS_BASE = ["rds", "--source", "orders-db", "--target", "orders-restore", "--region", "eu-west-1"];

async function refusal(promise: Promise<unknown>): Promise<string> {
    try {
        await promise;
    } catch (err) {
        assert.ok(err instanceof PitrError, `expected a PitrError, got ${String(err)}`);
        return err.message;
    }
    assert.fail("expected the restore to be refused");
}

describe("pitr: restore time against the window", () => {
    const window = { earliest: EARLIEST, latest: LATEST };
    const cases: readonly { readonly name: string; readonly time: string; readonly reason: RegExp }[] = [
        { name: "before the earliest restorable time", time: "2026-02-24T03:09:59Z", reason: /is before the earliest restorable time/ },
        { name: "after the latest restorable time", time: "2026-03-10T11:56:00Z", reason: /is after the latest restorable time/ },
        { name: "in the future", time: "2026-03-10T12:00:01Z", reason: /is in the future \(now 2026-03-10T12:00:00\.000Z\)/ },
        { name: "without a zone", time: "2026-03-01T10:00:00", reason: /has no time zone/ },
        { name: "a date without a zone", time: "2026-03-01", reason: /has no time zone/ },
        { name: "not a time", time: "yesterday", reason: /is not an ISO-8601 time/ },
    ];
    for (const c of cases) {
        it(`refuses a time ${c.name}, naming --time, the value and the window`, () => {
            // given the window of the source
            // when the time is checked
            const check = (): Date => restoreTimeWithin(c.time, window, NOW, "orders-db in eu-west-1");
            // then it is refused with everything the engineer needs
            assert.throws(check, (err: unknown) => {
                assert.ok(err instanceof PitrError);
                assert.match(err.message, c.reason);
                assert.ok(err.message.startsWith(`--time: "${c.time}"`), err.message);
                assert.match(err.message, /window of orders-db in eu-west-1: 2026-02-24T03:10:00\.000Z \.\. 2026-03-10T11:55:00\.000Z/);
                return true;
            });
        });
    }

    it("accepts the window's edges and an offset, converted to UTC", () => {
        // given times on the edges and one with an offset
        // when checked
        // then they come back as the instants they name
        assert.equal(restoreTimeWithin("2026-02-24T03:10:00Z", window, NOW, "x").toISOString(), "2026-02-24T03:10:00.000Z");
        assert.equal(restoreTimeWithin("2026-03-10T11:55:00Z", window, NOW, "x").toISOString(), "2026-03-10T11:55:00.000Z");
        assert.equal(restoreTimeWithin("2026-03-01T12:00:00+02:00", window, NOW, "x").toISOString(), "2026-03-01T10:00:00.000Z");
    });
});

describe("pitr rds: plan", () => {
    it("carries the source's network, class, Multi-AZ, storage, parameter group and key; deletion protection and restore tags", async () => {
        // given the source instance with its backups
        const rds = new FakeRds();
        // when a restore to a time in the window is planned
        const plan = await planRdsPitr(
            { source: "orders-db", target: "orders-restore", point: { time: "2026-03-09T08:30:00Z" }, region: "eu-west-1" },
            { rdsFor: rds.rdsFor, now: () => NOW },
        );
        // then the request restores into the same network with the same settings, and the key is the source's
        assert.equal(plan.region, "eu-west-1");
        assert.deepEqual(plan.window, { earliest: EARLIEST, latest: LATEST });
        assert.equal(plan.kmsKeyId, PRIMARY_KEY);
        assert.deepEqual(plan.input, {
            SourceDBInstanceIdentifier: "orders-db",
            TargetDBInstanceIdentifier: "orders-restore",
            RestoreTime: new Date("2026-03-09T08:30:00Z"),
            DBSubnetGroupName: "orders-subnets",
            VpcSecurityGroupIds: ["sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"],
            DBInstanceClass: "db.m6g.large",
            MultiAZ: true,
            StorageType: "gp3",
            DBParameterGroupName: "orders-pg15-tls",
            Port: 5432,
            PubliclyAccessible: false,
            CopyTagsToSnapshot: true,
            DeletionProtection: true,
            EnableIAMDatabaseAuthentication: false,
            EnableCloudwatchLogsExports: ["postgresql", "upgrade"],
            MaxAllocatedStorage: 1000,
            ManageMasterUserPassword: true,
            MasterUserSecretKmsKeyId: PRIMARY_KEY,
            Tags: [
                { Key: "restored-from", Value: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:orders-db` },
                { Key: "restore-time", Value: "2026-03-09T08:30:00.000Z" },
            ],
        });
        // and nothing but reads were sent
        assert.deepEqual(rds.calls.map((c) => c.command), ["DescribeDBInstances", "DescribeDBInstanceAutomatedBackups", "DescribeDBInstances"]);
    });

    it("takes the earliest time from the automated backups and the latest from the instance", async () => {
        // given automated backups whose window starts later than the default
        const rds = new FakeRds();
        const later = new Date("2026-03-05T00:00:00Z");
        rds.backups.set("eu-west-1", [{ ...(rds.backups.get("eu-west-1")?.[0] ?? {}), RestoreWindow: { EarliestTime: later, LatestTime: LATEST } }]);
        // when a time before it is asked for
        const message = await refusal(
            planRdsPitr({ source: "orders-db", target: "orders-restore", point: { time: "2026-03-04T00:00:00Z" }, region: "eu-west-1" }, { rdsFor: rds.rdsFor, now: () => NOW }),
        );
        // then the refusal shows that window
        assert.match(message, /before the earliest restorable time.*2026-03-05T00:00:00\.000Z \.\. 2026-03-10T11:55:00\.000Z/);
        assert.equal(rds.restores().length, 0);
    });

    it("--latest asks RDS for the latest restorable time and tags it so", async () => {
        const rds = new FakeRds();
        const plan = await planRdsPitr({ source: "orders-db", target: "orders-restore", point: { latest: true }, region: "eu-west-1" }, { rdsFor: rds.rdsFor, now: () => NOW });
        assert.equal(plan.input.UseLatestRestorableTime, true);
        assert.equal(plan.input.RestoreTime, undefined);
        assert.deepEqual(plan.input.Tags?.[1], { Key: "restore-time", Value: "latest" });
    });

    it("given options replace the source's class, subnet group and security groups", async () => {
        const rds = new FakeRds();
        const plan = await planRdsPitr(
            { source: "orders-db", target: "orders-restore", point: { latest: true }, region: "eu-west-1", instanceClass: "db.r6g.xlarge", subnetGroup: "restore-subnets", securityGroups: ["sg-0ccccccccccccccc3"] },
            { rdsFor: rds.rdsFor, now: () => NOW },
        );
        assert.equal(plan.input.DBInstanceClass, "db.r6g.xlarge");
        assert.equal(plan.input.DBSubnetGroupName, "restore-subnets");
        assert.deepEqual(plan.input.VpcSecurityGroupIds, ["sg-0ccccccccccccccc3"]);
    });

    it("refuses a target that exists, and never sends a restore", async () => {
        // given an instance already named like the target
        const rds = new FakeRds();
        rds.instances.set("eu-west-1/orders-restore", { DBInstanceIdentifier: "orders-restore", DBInstanceStatus: "available" });
        // when the restore runs
        const d = deps(rds);
        const code = await runPitr([...RDS_BASE, "--latest"], d);
        // then it is refused and nothing was created
        assert.equal(code, 1);
        assert.match(d.errors.join("\n"), /--target: DB instance "orders-restore" already exists in eu-west-1 \(status available\)/);
        assert.equal(rds.restores().length, 0);
    });

    it("refuses the source as the target, a missing source, an Aurora member and an instance without automated backups", async () => {
        const rds = new FakeRds();
        const now = { rdsFor: rds.rdsFor, now: () => NOW };
        assert.match(await refusal(planRdsPitr({ source: "orders-db", target: "ORDERS-DB", point: { latest: true }, region: "eu-west-1" }, now)), /--target: "ORDERS-DB" is the source instance/);
        assert.match(await refusal(planRdsPitr({ source: "nope", target: "t", point: { latest: true }, region: "eu-west-1" }, now)), /--source: DB instance "nope" not found in eu-west-1/);
        rds.instances.set("eu-west-1/aurora-1", { ...sourceInstance(), DBClusterIdentifier: "aurora" });
        assert.match(await refusal(planRdsPitr({ source: "aurora-1", target: "t", point: { latest: true }, region: "eu-west-1" }, now)), /belongs to the Aurora cluster "aurora"/);
        rds.instances.set("eu-west-1/nobackups", { ...sourceInstance(), BackupRetentionPeriod: 0 });
        assert.match(await refusal(planRdsPitr({ source: "nobackups", target: "t", point: { latest: true }, region: "eu-west-1" }, now)), /automated backups turned off/);
        assert.equal(rds.restores().length, 0);
    });
});

describe("pitr rds: --from-dr", () => {
    it("restores in the DR region from the replicated backups' ARN, with their window and the replica key", async () => {
        // given replicated automated backups in eu-central-1
        const rds = new FakeRds();
        const d = deps(rds);
        // when the restore runs from DR
        const code = await runPitr(
            [...RDS_BASE, "--from-dr", "--dr-region", "eu-central-1", "--subnet-group", "dr-subnets", "--security-group", "sg-0ddddddddddddddd4", "--time", "2026-03-10T11:00:00Z"],
            d,
        );
        // then the one restore went to the DR region with the replicated backups' ARN
        assert.equal(code, 0, d.errors.join("\n"));
        const restores = rds.restores();
        assert.equal(restores.length, 1);
        const [restore] = restores;
        assert.equal(restore?.region, "eu-central-1");
        assert.equal(restore?.input.SourceDBInstanceAutomatedBackupsArn, DR_BACKUP_ARN);
        assert.equal(restore?.input.SourceDBInstanceIdentifier, undefined);
        assert.equal(restore?.input.DBSubnetGroupName, "dr-subnets");
        assert.deepEqual(restore?.input.VpcSecurityGroupIds, ["sg-0ddddddddddddddd4"]);
        assert.equal(restore?.input.DBInstanceClass, "db.m6g.large");
        assert.equal(restore?.input.MultiAZ, true);
        assert.equal(restore?.input.MasterUserSecretKmsKeyId, REPLICA_KEY);
        assert.equal(restore?.input.DeletionProtection, true);
        // and the target was looked for in the DR region, the backups found by the source's resource id
        assert.ok(rds.calls.some((c) => c.region === "eu-central-1" && c.command === "DescribeDBInstances" && (c.input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier === "orders-restore"));
        assert.ok(rds.calls.some((c) => c.region === "eu-central-1" && c.command === "DescribeDBInstanceAutomatedBackups" && (c.input as { DbiResourceId?: string }).DbiResourceId === "db-ORDERS0000000000000000000"));
        assert.match(d.lines.join("\n"), new RegExp(`KMS key ${REPLICA_KEY.replace(/[/]/g, "\\/")} \\(inherited from the replicated backups\\)`));
    });

    it("holds the time to the replicated backups' window, not the source's", async () => {
        // given a time inside the source's window but after the replica's latest time
        const rds = new FakeRds();
        // when planned from DR
        const message = await refusal(
            planRdsPitr(
                { source: "orders-db", target: "orders-restore", point: { time: "2026-03-10T11:50:00Z" }, region: "eu-west-1", drRegion: "eu-central-1", subnetGroup: "dr-subnets" },
                { rdsFor: rds.rdsFor, now: () => NOW },
            ),
        );
        // then it is refused with the replica's window
        assert.match(message, /after the latest restorable time.*replicated backups of orders-db in eu-central-1: 2026-03-03T04:00:00\.000Z \.\. 2026-03-10T11:40:00\.000Z/);
    });

    it("goes on when the primary region cannot be read, finding the backups by identifier, and then needs --instance-class", async () => {
        // given an unreachable primary region
        const rds = new FakeRds();
        rds.unreachable.add("eu-west-1");
        const base = { source: "orders-db", target: "orders-restore", point: { latest: true } as const, region: "eu-west-1", drRegion: "eu-central-1", subnetGroup: "dr-subnets" };
        // when planned without a class
        const message = await refusal(planRdsPitr(base, { rdsFor: rds.rdsFor, now: () => NOW }));
        // then the class is asked for
        assert.match(message, /^--instance-class: missing; the source's class cannot be read from eu-west-1/);
        // and with one, the plan uses the replicated backups found by the instance identifier
        const plan = await planRdsPitr({ ...base, instanceClass: "db.m6g.large" }, { rdsFor: rds.rdsFor, now: () => NOW });
        assert.equal(plan.input.SourceDBInstanceAutomatedBackupsArn, DR_BACKUP_ARN);
        assert.equal(plan.kmsKeyId, REPLICA_KEY);
        assert.ok(plan.notes.some((n) => /eu-west-1 could not be read/.test(n)));
        assert.ok(rds.calls.some((c) => c.region === "eu-central-1" && (c.input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier === "orders-db"));
    });

    it("refuses without replicated backups, and without a DR subnet group", async () => {
        const rds = new FakeRds();
        const req = { source: "orders-db", target: "orders-restore", point: { latest: true } as const, region: "eu-west-1", drRegion: "eu-central-1" };
        assert.match(await refusal(planRdsPitr(req, { rdsFor: rds.rdsFor, now: () => NOW })), /^--subnet-group: missing; with --from-dr the new instance is created in eu-central-1/);
        rds.backups.set("eu-central-1", []);
        assert.match(await refusal(planRdsPitr({ ...req, subnetGroup: "dr-subnets" }, { rdsFor: rds.rdsFor, now: () => NOW })), /no replicated automated backups of "orders-db" in eu-central-1/);
        assert.equal(rds.restores().length, 0);
    });
});

describe("pitr rds: command", () => {
    it("--dry-run prints the window and the request and calls no restore", async () => {
        // given the source
        const rds = new FakeRds();
        const d = deps(rds);
        // when run with --dry-run
        const code = await runPitr([...RDS_BASE, "--time", "2026-03-09T08:30:00Z", "--dry-run"], d);
        // then it exits 0 having printed the request, and no restore was sent
        assert.equal(code, 0, d.errors.join("\n"));
        const out = d.lines.join("\n");
        assert.match(out, /restorable window {2}2026-02-24T03:10:00\.000Z \.\. 2026-03-10T11:55:00\.000Z/);
        assert.match(out, /"TargetDBInstanceIdentifier": "orders-restore"/);
        assert.match(out, /"RestoreTime": "2026-03-09T08:30:00\.000Z"/);
        assert.match(out, /dry run: nothing was created/);
        assert.equal(rds.restores().length, 0);
    });

    it("--wait polls until the instance is available and prints its endpoint and the next steps", async () => {
        // given a restore that takes three polls
        const rds = new FakeRds();
        const d = deps(rds);
        // when run with --wait
        const code = await runPitr([...RDS_BASE, "--latest", "--wait"], d);
        // then it ends with the endpoint
        assert.equal(code, 0, d.errors.join("\n"));
        const out = d.lines.join("\n");
        assert.match(out, /orders-restore is available at orders-restore\.abc\.eu-west-1\.rds\.amazonaws\.com:5432/);
        assert.match(out, /next steps:/);
        assert.match(out, /keep the source orders-db/);
        assert.match(d.errors.join("\n"), /orders-restore: creating \(0 min\)[\s\S]*orders-restore: available/);
        assert.equal(rds.restores().length, 1);
    });

    it("--wait gives up after --wait-minutes, and a failed restore stops the wait", async () => {
        // given a restore that never becomes available
        const rds = new FakeRds();
        rds.restoredStatuses = ["creating", "creating"];
        const d = deps(rds);
        // when waited for 2 minutes
        const code = await runPitr([...RDS_BASE, "--latest", "--wait", "--wait-minutes", "2"], d);
        // then it gives up with the command to keep watching
        assert.equal(code, 1);
        assert.match(d.errors.join("\n"), /orders-restore: not available after 2 min \(status creating\); the restore continues in RDS/);
        const polls = rds.calls.filter((c) => c.command === "DescribeDBInstances" && (c.input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier === "orders-restore").length;
        assert.ok(polls <= 1 + 5, `polled ${polls} times`);

        // given an instance that fails
        const failing = new FakeRds();
        failing.instances.set("eu-west-1/broken", { DBInstanceIdentifier: "broken", DBInstanceStatus: "incompatible-restore" });
        let clock = 0;
        // when waited for
        const message = await refusal(
            waitForRdsInstance(failing.rdsFor("eu-west-1"), "broken", { maxWaitMs: 600_000, intervalMs: 30_000, sleep: async (ms) => void (clock += ms), now: () => new Date(clock), progress: () => undefined }),
        );
        // then the status is reported at once
        assert.match(message, /broken: the restore ended in status "incompatible-restore"/);
        assert.equal(clock, 0);
    });
});

describe("pitr: arguments", () => {
    const cases: readonly { readonly args: readonly string[]; readonly message: RegExp }[] = [
        { args: ["mysql"], message: /^"mysql": unknown kind of restore; expected "rds" or "azure"/ },
        { args: [...RDS_BASE], message: /^--time or --latest: missing; expected exactly one of them/ },
        { args: [...RDS_BASE, "--latest", "--time", "2026-03-01T00:00:00Z"], message: /^--time, --latest: given together; expected exactly one of them/ },
        { args: ["rds", "--source", "orders-db", "--target", "orders_restore", "--region", "eu-west-1", "--latest"], message: /^--target: "orders_restore" is not allowed; expected a DB instance identifier/ },
        { args: ["rds", "--source", "orders-db", "--target", "t1", "--region", "eu-west-9", "--latest"], message: /^--region: "eu-west-9" is not allowed; expected an AWS region such as us-east-1/ },
        { args: ["rds", "--source", "orders-db", "--target", "t1", "--latest"], message: /^--region: missing; expected the source's AWS region/ },
        { args: [...RDS_BASE, "--latest", "--dr-region", "eu-central-1"], message: /^--dr-region: "eu-central-1" is not allowed without --from-dr/ },
        { args: [...RDS_BASE, "--latest", "--from-dr"], message: /^--dr-region: missing; expected the DR region/ },
        { args: [...RDS_BASE, "--latest", "--from-dr", "--dr-region", "eu-west-1"], message: /^--dr-region: "eu-west-1" is not allowed; it must differ from the source's region eu-west-1/ },
        { args: [...RDS_BASE, "--latest", "--security-group", "default"], message: /^--security-group: "default" is not allowed; expected a VPC security group id/ },
        { args: [...RDS_BASE, "--latest", "--instance-class", "m6g.large"], message: /^--instance-class: "m6g.large" is not allowed; expected an RDS instance class/ },
        { args: [...RDS_BASE, "--latest", "--wait-minutes", "5"], message: /^--wait-minutes: "5" is not allowed without --wait/ },
        { args: [...RDS_BASE, "--latest", "--wait", "--wait-minutes", "0"], message: /^--wait-minutes: "0" is not allowed; expected an integer 1\.\.1440/ },
        { args: [...RDS_BASE, "--latest", "--dry-run", "--wait"], message: /^--wait: not allowed with --dry-run/ },
        { args: ["azure", "--subscription", "abc", "--resource-group", "rg", "--source", "a-db", "--target", "b-db", "--latest"], message: /^--subscription: "abc" is not allowed; expected a subscription id \(GUID/ },
        { args: ["azure", "--subscription", "00000000-0000-0000-0000-000000000001", "--resource-group", "rg", "--source", "a-db", "--target", "B_DB", "--latest"], message: /^--target: "B_DB" is not allowed; expected a Flexible Server name/ },
        { args: ["azure", "--subscription", "00000000-0000-0000-0000-000000000001", "--source", "a-db", "--target", "b-db", "--latest"], message: /^--resource-group: missing; expected a resource group name/ },
    ];
    for (const c of cases) {
        it(`${c.args.slice(0, 1).join(" ")} ... refused: ${c.message.source.slice(1, 40)}`, () => {
            // given the arguments
            // when parsed
            // then the error names the argument, the value and what is allowed
            assert.throws(() => parsePitrArgs(c.args, {}), (err: unknown) => err instanceof ArgumentError && c.message.test(err.message));
        });
    }

    it("takes the region from AWS_REGION, and repeated or comma-separated security groups", () => {
        // given security groups in both forms
        const parsed = parsePitrArgs(["rds", "--source", "orders-db", "--target", "t1", "--latest", "--security-group", "sg-0aaaaaaaaaaaaaaa1,sg-0bbbbbbbbbbbbbbb2", "--security-group=sg-0ccccccccccccccc3"], { AWS_REGION: "eu-west-2" });
        // then all are kept, in order, and the region comes from the environment
        assert.equal(parsed?.kind, "rds");
        assert.deepEqual(parsed?.kind === "rds" ? parsed.args.securityGroups : undefined, ["sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2", "sg-0ccccccccccccccc3"]);
        assert.equal(parsed?.kind === "rds" ? parsed.args.region : undefined, "eu-west-2");
        assert.equal(parsed?.kind === "rds" ? parsed.args.waitMinutes : undefined, 180);
    });

    it("an argument error exits 2 with the usage and calls nothing", async () => {
        const rds = new FakeRds();
        const d = deps(rds);
        const code = await runPitr([...RDS_BASE, "--time", "2026-03-01T00:00:00Z", "--bogus"], d);
        assert.equal(code, 2);
        assert.match(d.errors.join("\n"), /--bogus: unknown option[\s\S]*usage: pg-backup-stack pitr rds/);
        assert.equal(rds.calls.length, 0);
    });
});

describe("pitr azure", () => {
    const AZ = ["azure", "--subscription", "00000000-0000-0000-0000-000000000001", "--resource-group", "blog-rg", "--source", "blog-db", "--target", "blog-db-restore"];

    it("creates a NEW server in point-in-time-restore mode from the source's id, at the given time", async () => {
        // given the source server
        const servers = new FakeServers();
        const d = deps(new FakeRds(), servers);
        // when restored to a time in its window
        const code = await runPitr([...AZ, "--time", "2026-03-01T09:15:00Z"], d);
        // then one create was sent, for the new name, with the restore parameters
        assert.equal(code, 0, d.errors.join("\n"));
        const creates = servers.creates();
        assert.equal(creates.length, 1);
        assert.equal(creates[0]?.name, "blog-db-restore");
        assert.equal(creates[0]?.resourceGroup, "blog-rg");
        assert.deepEqual(creates[0]?.parameters, {
            location: "eastus",
            createMode: "PointInTimeRestore",
            sourceServerResourceId: SOURCE_SERVER_ID,
            pointInTimeUTC: new Date("2026-03-01T09:15:00Z"),
            tags: { "restored-from": SOURCE_SERVER_ID, "restore-time": "2026-03-01T09:15:00.000Z" },
        });
        assert.match(d.lines.join("\n"), /next steps:/);
    });

    it("refuses times outside earliestRestoreDate .. now, naming the window", async () => {
        const servers = new FakeServers();
        const req = { subscription: "s", resourceGroup: "blog-rg", source: "blog-db", target: "blog-db-restore", geo: false };
        assert.match(await refusal(planAzurePitr({ ...req, point: { time: "2026-02-08T12:29:59Z" } }, servers, NOW)), /before the earliest restorable time.*2026-02-08T12:30:00\.000Z \.\. 2026-03-10T12:00:00\.000Z/);
        assert.match(await refusal(planAzurePitr({ ...req, point: { time: "2026-03-10T12:05:00Z" } }, servers, NOW)), /is in the future/);
        assert.match(await refusal(planAzurePitr({ ...req, point: { time: "2026-03-01T09:15" } }, servers, NOW)), /has no time zone/);
        assert.equal(servers.creates().length, 0);
    });

    it("refuses an existing target and a missing source, creating nothing", async () => {
        const servers = new FakeServers();
        servers.servers.set("blog-rg/blog-db-restore", { name: "blog-db-restore", location: "East US", state: "Ready" });
        const req = { subscription: "s", resourceGroup: "blog-rg", source: "blog-db", target: "blog-db-restore", geo: false, point: { latest: true } as const };
        assert.match(await refusal(planAzurePitr(req, servers, NOW)), /--target: server "blog-db-restore" already exists in resource group blog-rg/);
        assert.match(await refusal(planAzurePitr({ ...req, source: "nope-db" }, servers, NOW)), /--source: server "nope-db" not found in resource group blog-rg/);
        assert.equal(servers.creates().length, 0);
    });

    it("--geo restores into the paired region from geo-redundant backups; refused without them", async () => {
        // given a source in East US with geo-redundant backups
        const servers = new FakeServers();
        const req = { subscription: "s", resourceGroup: "blog-rg", source: "blog-db", target: "blog-db-geo", geo: true, point: { latest: true } as const };
        // when a geo-restore is planned
        const plan = await planAzurePitr(req, servers, NOW);
        // then it goes to West US in GeoRestore mode at "now"
        assert.equal(plan.parameters.location, "westus");
        assert.equal(plan.parameters.createMode, "GeoRestore");
        assert.deepEqual(plan.parameters.pointInTimeUTC, NOW);
        // and without geo-redundant backups it is refused
        servers.servers.set("blog-rg/blog-db", { ...(servers.servers.get("blog-rg/blog-db") ?? {}), location: "East US", backup: { geoRedundantBackup: "Disabled" as const, earliestRestoreDate: new Date("2026-03-01T00:00:00Z") } });
        assert.match(await refusal(planAzurePitr(req, servers, NOW)), /--geo: server "blog-db" does not keep geo-redundant backups/);
    });

    it("refuses another --location without --geo", async () => {
        const servers = new FakeServers();
        const message = await refusal(
            planAzurePitr({ subscription: "s", resourceGroup: "blog-rg", source: "blog-db", target: "blog-db-restore", geo: false, location: "westus", point: { latest: true } }, servers, NOW),
        );
        assert.match(message, /--location: "westus" is not allowed without --geo; a point-in-time restore stays in the source's region "eastus"/);
    });

    it("--dry-run prints the request and creates nothing", async () => {
        const servers = new FakeServers();
        const d = deps(new FakeRds(), servers);
        const code = await runPitr([...AZ, "--latest", "--dry-run"], d);
        assert.equal(code, 0, d.errors.join("\n"));
        assert.match(d.lines.join("\n"), /"createMode": "PointInTimeRestore"/);
        assert.equal(servers.creates().length, 0);
    });

    it("--wait prints the new server's host name", async () => {
        const servers = new FakeServers();
        const d = deps(new FakeRds(), servers);
        const code = await runPitr([...AZ, "--latest", "--wait"], d);
        assert.equal(code, 0, d.errors.join("\n"));
        assert.match(d.lines.join("\n"), /blog-db-restore is Ready at blog-db-restore\.postgres\.database\.azure\.com:5432/);
    });
});
