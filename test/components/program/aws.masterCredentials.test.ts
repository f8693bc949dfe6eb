import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_SIG, SIG_KEY } from "../../helpers/declaredResources";
import { stackConfig, validConfig } from "../../helpers/config";
import { MockState, settle, setupMocks, unwrap } from "../../helpers/mocks";

const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const INSTANCE = "aws:rds/instance:Instance";
const REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey";
const FUNCTION = "aws:lambda/function:Function";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** Declares the smallest valid stack with its database's master secret owned by the stack, under mocks. */
async function deploy(): Promise<{ mocks: MockState; outputs: unknown }> {
    const mocks = setupMocks("pg-backup-stack", "staging");
    const config = stackConfig(validConfig({ "aws.network.routeTableIds": ["rtb-0a"], "aws.databases[0].instance.masterCredentials": "replicated" }));
    const { deployStack } = await import("../../../program/deploy");
    const stack = deployStack(config);
    const outputs = await unwrap(pulumi.output({ ...stack, functions: undefined }));
    await settle(mocks);
    return { mocks, outputs };
}

describe("a database whose master secret the stack owns (masterCredentials: replicated, under mocks)", () => {
    it("its secret is replicated to regions.dr under the stack's replica key, and the functions read that secret and only it", async () => {
        // given the stack
        const { mocks } = await deploy();
        // when the secret, the replica key and the functions are inspected
        const [secret] = mocks.ofType(SECRET);
        const [replicaKey] = mocks.ofType(REPLICA_KEY);
        assert.ok(secret !== undefined && replicaKey !== undefined);
        const secretArn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${secret.name}-AbCdEf`;
        // then the secret is replicated to the DR region under the replica key of the backup key
        assert.deepStrictEqual(secret.inputs["replicas"], [{ region: "eu-central-1", kmsKeyId: `arn:aws:kms:eu-west-1:123456789012:key/${replicaKey.name}-key-id` }]);
        const [key] = mocks.ofType("aws:kms/key:Key");
        assert.strictEqual(secret.inputs["kmsKeyId"], `arn:aws:kms:eu-west-1:123456789012:key/${key?.name ?? ""}-key-id`);
        // and the instance is created with the stack's password instead of an RDS-managed one
        const [instance] = mocks.ofType(INSTANCE);
        assert.strictEqual(instance?.inputs["manageMasterUserPassword"], undefined);
        assert.strictEqual((instance?.inputs["password"] as Record<string, unknown> | undefined)?.[SIG_KEY], SECRET_SIG);
        // and every function of the database is given that secret, and its role may read that secret only
        const fns = mocks.ofType(FUNCTION).filter((f) => (f.inputs["environment"] as { variables?: Record<string, string> } | undefined)?.variables?.["DB_SECRET_ARN"] !== undefined);
        assert.ok(fns.length > 0);
        for (const f of fns) assert.strictEqual((f.inputs["environment"] as { variables: Record<string, string> }).variables["DB_SECRET_ARN"], secretArn, f.name);
        const reads = mocks.ofType(ROLE_POLICY)
            .flatMap((p) => (JSON.parse(String(p.inputs["policy"])) as { Statement: { Sid?: string; Resource: string[] }[] }).Statement)
            .filter((s) => s.Sid === "ReadConnectionSecrets");
        assert.ok(reads.length > 0);
        for (const s of reads) assert.deepStrictEqual(s.Resource, [secretArn]);
    });

    it("no stack output and no recorded input carries the password in clear", async () => {
        // given the stack
        const { mocks, outputs } = await deploy();
        const [instance] = mocks.ofType(INSTANCE);
        const password = (instance?.inputs["password"] as Record<string, unknown> | undefined)?.["value"];
        assert.ok(typeof password === "string" && password.length === 40);
        // then the outputs do not hold it, and every input that does holds it as a Pulumi secret
        assert.ok(!JSON.stringify(outputs).includes(password));
        const [version] = mocks.ofType(SECRET_VERSION);
        assert.strictEqual((version?.inputs["secretString"] as Record<string, unknown> | undefined)?.[SIG_KEY], SECRET_SIG);
        const stripSecrets = (v: unknown): unknown => {
            if (Array.isArray(v)) return v.map(stripSecrets);
            if (v !== null && typeof v === "object") {
                const r = v as Record<string, unknown>;
                if (r[SIG_KEY] === SECRET_SIG) return "[secret]";
                return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, stripSecrets(x)]));
            }
            return v;
        };
        const plain = mocks.resources.filter((r) => JSON.stringify(stripSecrets(r.inputs)).includes(password)).map((r) => `${r.type}::${r.name}`);
        assert.deepStrictEqual(plain, []);
    });
});
