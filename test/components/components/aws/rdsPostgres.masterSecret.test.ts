import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_SIG, SIG_KEY } from "../../../helpers/declaredResources";
import { MockState, settle, setupMocks, unwrap } from "../../../helpers/mocks";
import type { RdsPostgresArgs } from "../../../../components/aws/rdsPostgres";

const INSTANCE = "aws:rds/instance:Instance";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/primary";
const DR_KEY = "arn:aws:kms:eu-central-1:123456789012:key/replica";

/** The value of an input the engine received as a Pulumi secret; fails when it came in plain. */
function secretString(input: unknown, what: string): string {
    const wrapped = input as Record<string, unknown> | undefined;
    assert.strictEqual(wrapped?.[SIG_KEY], SECRET_SIG, `${what} is not a Pulumi secret`);
    assert.strictEqual(typeof wrapped?.["value"], "string", what);
    return wrapped?.["value"] as string;
}

describe("RdsPostgres master secret (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/rdsPostgres");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/rdsPostgres");
    });

    const base: RdsPostgresArgs = { databaseName: "orders", kmsKeyArn: KEY, subnetIds: ["subnet-0a", "subnet-0b"], port: 5433, masterUsername: "owner" };
    const replicated: RdsPostgresArgs = { ...base, masterCredentials: "replicated", drRegion: "eu-central-1", drKmsKeyArn: DR_KEY };

    it("replicated: the stack's secret, under the backup key, replicated to the DR region under the replica key, holds what the instance was created with", async () => {
        // given an instance whose master secret the stack owns
        const db = new mod.RdsPostgres("orders", replicated);
        await settle(mocks);
        // when the instance, the secret and its value are inspected
        const instance = mocks.one(INSTANCE, "orders-instance").inputs;
        const secret = mocks.one(SECRET, "orders-master-secret");
        const password = mocks.one(PASSWORD, "orders-master-password");
        const value = JSON.parse(secretString(mocks.one(SECRET_VERSION, "orders-master-secret-value").inputs["secretString"], "secretString")) as Record<string, unknown>;
        const instancePassword = secretString(instance["password"], "the instance's password");
        // then RDS does not manage the password: the instance gets the generated one
        assert.strictEqual(instance["manageMasterUserPassword"], undefined);
        assert.strictEqual(instance["masterUserSecretKmsKeyId"], undefined);
        assert.strictEqual(instancePassword.length, 40);
        assert.doesNotMatch(instancePassword, /[/@" ]/);
        assert.strictEqual(password.inputs["length"], 40);
        // and the secret is encrypted with the backup key and replicated only to the DR region, under the replica key
        assert.strictEqual(secret.inputs["kmsKeyId"], KEY);
        assert.deepStrictEqual(secret.inputs["replicas"], [{ region: "eu-central-1", kmsKeyId: DR_KEY }]);
        assert.strictEqual(secret.parent?.name, "orders");
        // and it holds the JSON the functions read, with the instance's password, endpoint, port and database
        assert.deepStrictEqual(value, {
            username: "owner",
            password: instancePassword,
            host: await unwrap(db.address),
            port: 5433,
            dbname: "orders",
        });
        // and the functions are pointed at it, not at a secret RDS would manage
        assert.strictEqual(await unwrap(db.masterUserSecretArn), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-master-secret-AbCdEf");
    });

    it("replicated: no output of the component carries the password, and the password reaches the instance only as a Pulumi secret", async () => {
        // given
        const db = new mod.RdsPostgres("orders", replicated);
        await settle(mocks);
        const plain = secretString(mocks.one(INSTANCE, "orders-instance").inputs["password"], "the instance's password");
        // when every public output is resolved
        const outputs = await unwrap(pulumi.all<unknown>([
            db.instanceArn, db.instanceIdentifier, db.resourceId, db.address, db.port, db.masterUserSecretArn, db.latestRestorableTime,
            db.subnetGroupName, db.securityGroupIds, db.parameterGroupName, db.finalSnapshotIdentifier, db.drAutomatedBackupsArn,
        ]));
        // then none holds the password
        assert.ok(plain.length > 0);
        assert.ok(!JSON.stringify(outputs).includes(plain));
        assert.ok(!Object.values(db).some((v) => typeof v === "string" && v.includes(plain)));
    });

    it("rds-managed (the default): RDS manages the password in its own secret and the stack declares none", async () => {
        // given the default
        const db = new mod.RdsPostgres("orders", { ...base, drRegion: "eu-central-1", drKmsKeyArn: DR_KEY });
        await settle(mocks);
        // then
        const instance = mocks.one(INSTANCE, "orders-instance").inputs;
        assert.strictEqual(instance["manageMasterUserPassword"], true);
        assert.strictEqual(instance["masterUserSecretKmsKeyId"], KEY);
        assert.strictEqual(instance["password"], undefined);
        assert.deepStrictEqual(mocks.ofType(SECRET), []);
        assert.deepStrictEqual(mocks.ofType(PASSWORD), []);
        assert.match(await unwrap(db.masterUserSecretArn), /secret:rds!orders-instance$/);
    });

    const refusals: [string, Partial<RdsPostgresArgs>, RegExp][] = [
        ["no DR region", { masterCredentials: "replicated", drKmsKeyArn: DR_KEY }, /drRegion: \(missing\) is required when masterCredentials is "replicated"/],
        ["no replica key", { masterCredentials: "replicated", drRegion: "eu-central-1" }, /drKmsKeyArn: \(missing\) is required when masterCredentials is "replicated"/],
        ["an unknown owner", { masterCredentials: "vault" as unknown as "replicated" }, /masterCredentials: "vault" is not allowed; expected "rds-managed" or "replicated"/],
    ];
    for (const [what, bad, message] of refusals) {
        it(`refuses ${what} before creating anything`, async () => {
            assert.throws(() => new mod.RdsPostgres(`bad-${what.replace(/\W+/g, "-")}`, { ...base, ...bad }), message);
            await settle(mocks);
            assert.deepStrictEqual(mocks.ofType(SECRET), []);
            assert.deepStrictEqual(mocks.ofType(INSTANCE), []);
        });
    }
});
