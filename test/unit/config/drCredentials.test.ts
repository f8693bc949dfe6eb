import * as assert from "assert";
import * as path from "path";
import { buildReport } from "../../../audit";
import { drCredentials } from "../../../config/drCredentials";
import { readStackFile } from "../../../config/load";
import { guarantees } from "../../../config/summary";
import { validateConfig } from "../../../config/validate";
import { stackConfig, validConfig } from "../../helpers/config";
import { ROOT } from "../../helpers/stackFiles";

const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-app-AbCdEf";

/** A stack with one RDS-managed database, one managed database with its own secret and one database the stack does not manage. */
function threeDatabases(): Record<string, unknown> {
    return validConfig({
        "aws.databases": [
            { name: "app", databaseName: "app", instance: {} },
            { name: "orders", databaseName: "orders", instance: {}, credentialsSecretArn: SECRET },
            { name: "legacy", databaseName: "legacy", host: "legacy.internal", credentialsSecretArn: SECRET },
        ],
    });
}

describe("credentials in the DR region", () => {
    it("an RDS-managed master secret stays in the primary region, and a DR restore gets its own there under the replica key", () => {
        // given a database whose functions use the instance's RDS-managed master secret
        const [app] = drCredentials(stackConfig(threeDatabases()));
        // then it is not said to be replicated, and the DR restore path is named
        assert.strictEqual(app?.secret, "rds-managed");
        assert.match(app?.statement ?? "", /^RDS app: its RDS-managed master secret stays in eu-west-1, not replicated \(RDS manages it and offers no replica Regions; Secrets Manager leaves it to RDS\)/);
        assert.match(app?.statement ?? "", /a restore in eu-central-1 \(`pitr rds --from-dr`\) gets a new RDS-managed master secret there, encrypted with the replica key/);
    });

    it("a replicated master secret is said to be in the DR region under the replica key, with the primary's host and no RDS rotation", () => {
        // given a database whose instance has a stack-owned master secret, and one that also has a configured secret
        const config = stackConfig(validConfig({
            "aws.databases": [
                { name: "app", databaseName: "app", instance: { masterCredentials: "replicated" } },
                { name: "orders", databaseName: "orders", instance: { masterCredentials: "replicated" }, credentialsSecretArn: SECRET },
            ],
        }));
        // when the DR credentials are read
        const [app, orders] = drCredentials(config);
        // then the stack's secret is replicated, and a configured secret (what the functions use) still wins
        assert.strictEqual(app?.secret, "replicated");
        assert.match(app?.statement ?? "", /^RDS app: its master secret, owned by the stack, is replicated to eu-central-1 under the replica key \(same ARN but the Region; it names the eu-west-1 host/);
        assert.match(app?.statement ?? "", /RDS does not rotate this password\.$/);
        assert.doesNotMatch(app?.statement ?? "", /not replicated/);
        assert.strictEqual(orders?.secret, "configured");
    });

    it("a configured secret is owned outside the stack: neither replicated nor checked, and the on-call is told what to do", () => {
        const [, orders, legacy] = drCredentials(stackConfig(threeDatabases()));
        for (const [credentials, kind] of [[orders, "RDS"], [legacy, "Database"]] as const) {
            assert.strictEqual(credentials?.secret, "configured");
            assert.match(credentials?.statement ?? "", new RegExp(`^${kind} ${credentials?.database}: aws\\.databases\\[\\]\\.credentialsSecretArn is owned outside the stack, which neither replicates it to eu-central-1 nor checks that its owner does`));
            assert.match(credentials?.statement ?? "", /replicate-secret-to-regions/);
        }
    });

    it("validate prints one line per database", () => {
        const rows = guarantees(stackConfig(threeDatabases())).filter((g) => g.control.startsWith("Credentials in DR"));
        assert.deepStrictEqual(rows.map((r) => r.control), ["Credentials in DR app", "Credentials in DR orders", "Credentials in DR legacy"]);
        assert.deepStrictEqual(rows.map((r) => r.value), drCredentials(stackConfig(threeDatabases())).map((d) => d.statement));
    });

    it("the audit report's geo-redundancy control states it for every database of a shipped stack, with the secret's key where one is configured", () => {
        for (const file of [path.join(ROOT, "Pulumi.prod.yaml"), path.join(ROOT, "Pulumi.staging.yaml")]) {
            // given the report of a shipped stack
            const raw = readStackFile(file);
            const result = validateConfig(raw);
            assert.ok(result.config !== undefined);
            const report = buildReport({ config: result.config, stack: "prod", raw, findings: [], provenance: { generatedAt: "2026-01-01T00:00:00.000Z", stackFileSha256: "0".repeat(64) } });
            const geo = report.controls.find((c) => c.id === "geo-redundancy");
            // then every database's DR credentials are stated
            const expected = drCredentials(result.config);
            assert.ok(expected.length > 0, file);
            for (const credentials of expected) assert.ok(geo?.guarantees.includes(credentials.statement), `${file}: ${credentials.statement}`);
            result.config.aws.databases.forEach((db, i) => {
                assert.strictEqual(geo?.keys.some((k) => k.path === `aws.databases[${i}].credentialsSecretArn`), db.credentialsSecretArn !== undefined, `${file}: ${db.name}`);
            });
        }
    });

    it("reads a stack file's databases in order", () => {
        const config = stackConfig(threeDatabases());
        assert.deepStrictEqual(drCredentials(config).map((d) => d.database), config.aws.databases.map((d) => d.name));
        assert.deepStrictEqual(drCredentials(stackConfig(validConfig({ "aws.databases": [] }))), []);
    });
});
