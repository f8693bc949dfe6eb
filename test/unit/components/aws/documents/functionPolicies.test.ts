import * as assert from "assert";
import fc from "fast-check";
import {
    FunctionPolicyInput,
    WATERMARK_PATTERN,
    dumpRolePolicy,
    exportRolePolicy,
    imageLifecyclePolicy,
    imageRepositoryPolicy,
    lambdaAssumeRolePolicy,
    normalizePrefix,
    schedulerAssumeRolePolicy,
    schedulerRolePolicy,
    verifyRolePolicy,
} from "../../../../../components/aws/documents/functionPolicies";
import { PolicyDocument, PolicyStatement } from "../../../../../components/aws/documents/policyDocument";
import { watermarkKey } from "../../../../../lambdas/export/keys";
import { databasePrefix, dumpKey, manifestKey } from "../../../../../lambdas/shared/keys";

const BUCKET = "arn:aws:s3:::pg-backups-prod";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222";
const SECRET_KEY = "arn:aws:kms:eu-west-1:123456789012:key/3333-4444";
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-orders-AbCdEf";
const OTHER_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments-XyZ";
const LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/prod-dump-orders";
const DLQ = "arn:aws:sqs:eu-west-1:123456789012:prod-dump-orders-dlq";

const input: FunctionPolicyInput = {
    region: "eu-west-1",
    dnsSuffix: "amazonaws.com",
    bucketArn: BUCKET,
    prefix: "backups",
    kmsKeyArn: KEY,
    secretArns: [SECRET],
    secretKmsKeyArns: [SECRET_KEY],
    runtime: { kind: "lambda", logGroupArn: LOG_GROUP, deadLetterQueueArn: DLQ },
};

/** A request as IAM sees it: action, resource and the condition keys that matter here. */
interface Request {
    readonly action: string;
    readonly resource: string;
    readonly context?: Readonly<Record<string, string>>;
}

function glob(pattern: string, value: string): boolean {
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(value);
}

function conditionsHold(s: PolicyStatement, context: Readonly<Record<string, string>>): boolean {
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => {
            const actual = context[key];
            if (actual === undefined) return false;
            const values = typeof expected === "string" ? [expected] : expected;
            if (operator === "StringEquals") return values.includes(actual);
            if (operator === "StringLike") return values.some((v) => glob(v, actual));
            throw new Error(`operator ${operator} not modelled`);
        }));
}

function applies(s: PolicyStatement, r: Request): boolean {
    return s.Action.some((a) => glob(a, r.action)) && (s.Resource ?? []).some((res) => glob(res, r.resource)) && conditionsHold(s, r.context ?? {});
}

/** Identity-policy evaluation: an explicit Deny wins, otherwise an Allow is needed. */
function permits(doc: PolicyDocument, r: Request): boolean {
    if (doc.Statement.some((s) => s.Effect === "Deny" && applies(s, r))) return false;
    return doc.Statement.some((s) => s.Effect === "Allow" && applies(s, r));
}

const viaS3 = { "kms:ViaService": "s3.eu-west-1.amazonaws.com" };

describe("function role policies", () => {
    describe("dump", () => {
        const doc = dumpRolePolicy(input);
        const table: [string, Request, boolean][] = [
            ["uploads a dump under its prefix", { action: "s3:PutObject", resource: `${BUCKET}/backups/orders/daily/2026/11/21/x.dump` }, true],
            ["tags it", { action: "s3:PutObjectTagging", resource: `${BUCKET}/backups/orders/daily/x.dump` }, true],
            ["aborts its multipart upload", { action: "s3:AbortMultipartUpload", resource: `${BUCKET}/backups/orders/x.dump` }, true],
            ["lists the parts of its upload", { action: "s3:ListMultipartUploadParts", resource: `${BUCKET}/backups/orders/x.dump` }, true],
            ["lists the day's weekly prefix (GFS)", { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "backups/orders/weekly/2026/11/21/" } }, true],
            ["lists the whole bucket", { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "" } }, false],
            ["lists another prefix", { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "exports/" } }, false],
            ["writes outside its prefix", { action: "s3:PutObject", resource: `${BUCKET}/exports/orders/x.csv.gz` }, false],
            ["deletes a dump", { action: "s3:DeleteObject", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["deletes a version", { action: "s3:DeleteObjectVersion", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["sets a dump's retention at upload", { action: "s3:PutObjectRetention", resource: `${BUCKET}/backups/orders/x.dump` }, true],
            ["sets retention outside its prefix", { action: "s3:PutObjectRetention", resource: `${BUCKET}/exports/orders/x.csv.gz` }, false],
            ["bypasses a governance lock (shortens or lifts it)", { action: "s3:BypassGovernanceRetention", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["reads a dump", { action: "s3:GetObject", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["changes the lifecycle", { action: "s3:PutLifecycleConfiguration", resource: BUCKET }, false],
            ["encrypts through S3", { action: "kms:GenerateDataKey", resource: KEY, context: viaS3 }, true],
            ["decrypts through S3 (multipart completion)", { action: "kms:Decrypt", resource: KEY, context: viaS3 }, true],
            ["decrypts directly", { action: "kms:Decrypt", resource: KEY, context: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com" } }, false],
            ["reads its database secret", { action: "secretsmanager:GetSecretValue", resource: SECRET }, true],
            ["reads another secret", { action: "secretsmanager:GetSecretValue", resource: OTHER_SECRET }, false],
            ["decrypts its secret through Secrets Manager", { action: "kms:Decrypt", resource: SECRET_KEY, context: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } }, true],
            ["writes its log stream", { action: "logs:PutLogEvents", resource: `${LOG_GROUP}:log-stream:2026/11/21/abc` }, true],
            ["creates a log group", { action: "logs:CreateLogGroup", resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/other" }, false],
            ["sends a failed run to its dead-letter queue", { action: "sqs:SendMessage", resource: DLQ }, true],
            ["creates its VPC interface", { action: "ec2:CreateNetworkInterface", resource: "*" }, true],
        ];
        for (const [what, request, expected] of table) {
            it(`${expected ? "may" : "may not"}: ${what}`, () => {
                // given the dump role's policy; when the request is evaluated; then the answer is as listed
                assert.strictEqual(permits(doc, request), expected);
            });
        }
    });

    describe("export", () => {
        const doc = exportRolePolicy({ ...input, prefix: "exports", watermarkPattern: WATERMARK_PATTERN });
        const table: [string, Request, boolean][] = [
            ["writes an export", { action: "s3:PutObject", resource: `${BUCKET}/exports/orders/public.orders/2026/x.csv.gz` }, true],
            ["writes a watermark", { action: "s3:PutObject", resource: `${BUCKET}/exports/orders/_watermarks/public.orders.json` }, true],
            ["reads a watermark back", { action: "s3:GetObject", resource: `${BUCKET}/exports/orders/_watermarks/public.orders.json` }, true],
            ["reads an export", { action: "s3:GetObject", resource: `${BUCKET}/exports/orders/public.orders/x.csv.gz` }, false],
            ["writes a dump", { action: "s3:PutObject", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["deletes an export", { action: "s3:DeleteObject", resource: `${BUCKET}/exports/orders/x.csv.gz` }, false],
            ["lists the exports", { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "exports/orders/" } }, true],
        ];
        for (const [what, request, expected] of table) {
            it(`${expected ? "may" : "may not"}: ${what}`, () => {
                // given the export role's policy; when the request is evaluated; then the answer is as listed
                assert.strictEqual(permits(doc, request), expected);
            });
        }
    });

    describe("verify", () => {
        const doc = verifyRolePolicy(input);
        const table: [string, Request, boolean][] = [
            ["reads a dump", { action: "s3:GetObject", resource: `${BUCKET}/backups/orders/daily/x.dump` }, true],
            ["reads a manifest", { action: "s3:GetObject", resource: `${BUCKET}/backups/orders/daily/x.dump.manifest.json` }, true],
            ["lists a database's dumps", { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "backups/orders/" } }, true],
            ["decrypts through S3", { action: "kms:Decrypt", resource: KEY, context: viaS3 }, true],
            ["encrypts through S3", { action: "kms:GenerateDataKey", resource: KEY, context: viaS3 }, false],
            ["writes anything", { action: "s3:PutObject", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["tags anything", { action: "s3:PutObjectTagging", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["deletes anything", { action: "s3:DeleteObject", resource: `${BUCKET}/backups/orders/x.dump` }, false],
            ["reads the exports", { action: "s3:GetObject", resource: `${BUCKET}/exports/orders/x.csv.gz` }, false],
        ];
        for (const [what, request, expected] of table) {
            it(`${expected ? "may" : "may not"}: ${what}`, () => {
                // given the verify role's policy; when the request is evaluated; then the answer is as listed
                assert.strictEqual(permits(doc, request), expected);
            });
        }
    });

    describe("a Fargate task's role", () => {
        // ECS creates the task's interface, the execution role writes its logs and the scheduler
        // sends its dead letters: the task itself needs none of it.
        const fargate = { ...input, runtime: { kind: "fargate" } as const };
        const table: [string, Request][] = [
            ["creates a network interface anywhere", { action: "ec2:CreateNetworkInterface", resource: "*" }],
            ["deletes a network interface anywhere", { action: "ec2:DeleteNetworkInterface", resource: "*" }],
            ["sends a message to the dead-letter queue", { action: "sqs:SendMessage", resource: DLQ }],
            ["encrypts a dead letter through SQS", { action: "kms:GenerateDataKey", resource: KEY, context: { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" } }],
            ["writes a log stream", { action: "logs:PutLogEvents", resource: `${LOG_GROUP}:log-stream:x` }],
        ];
        for (const [what, request] of table) {
            it(`may not: ${what}, where the Lambda function's role may`, () => {
                // given the same kind's role for a Lambda function and for a Fargate task
                for (const build of [dumpRolePolicy, verifyRolePolicy]) {
                    // when the request is evaluated
                    // then only the Lambda function's role allows it
                    assert.deepStrictEqual([permits(build(input), request), permits(build(fargate), request)], [true, false]);
                }
            });
        }

        it("holds the same permissions on the data as the Lambda function's", () => {
            // given both roles of each kind
            const statements = (doc: PolicyDocument): string[] => doc.Statement.map((st) => JSON.stringify(st));
            for (const build of [dumpRolePolicy, verifyRolePolicy, (i: FunctionPolicyInput) => exportRolePolicy({ ...i, watermarkPattern: WATERMARK_PATTERN })]) {
                // when their statements are compared
                const lambdaOnly = statements(build(input)).filter((st) => !statements(build(fargate)).includes(st));
                // then the Fargate role lacks only the four Lambda statements and has nothing of its own
                assert.deepStrictEqual(lambdaOnly.map((st) => (JSON.parse(st) as PolicyStatement).Sid), ["WriteOwnLogGroup", "VpcNetworkInterfaces", "SendFailedInvocationsToDeadLetterQueue", "EncryptDeadLetterMessages"]);
                assert.ok(statements(build(fargate)).every((st) => statements(build(input)).includes(st)));
            }
        });
    });

    it("property: no writer role is ever allowed to delete, whatever the prefix and secrets", () => {
        fc.assert(
            fc.property(
                fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/), { minLength: 1, maxLength: 3 }),
                fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }),
                fc.constantFrom("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"),
                (segments, secretNames, action) => {
                    // given a role built for any prefix and any secrets
                    const prefix = segments.join("/");
                    const secretArns = secretNames.map((n) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${n}`);
                    for (const doc of [dumpRolePolicy({ ...input, prefix, secretArns }), exportRolePolicy({ ...input, prefix, secretArns, watermarkPattern: WATERMARK_PATTERN })]) {
                        // when a destructive request on an object under that prefix is evaluated
                        // then it is refused
                        assert.strictEqual(permits(doc, { action, resource: `${BUCKET}/${prefix}/db/x.dump` }), false);
                    }
                },
            ),
        );
    });

    it("property: the JSON does not depend on the order secrets are given in", () => {
        fc.assert(
            fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { minLength: 1, maxLength: 5 }), (names) => {
                // given the same secrets in two orders
                const arns = names.map((n) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${n}`);
                // when both policies are built
                // then their JSON is identical
                assert.strictEqual(JSON.stringify(dumpRolePolicy({ ...input, secretArns: arns })), JSON.stringify(dumpRolePolicy({ ...input, secretArns: [...arns].reverse() })));
            }),
        );
    });

    it("grants exactly the keys the functions write and read (their own key builders)", () => {
        // given the keys the dump, export and verify code use
        const dump = dumpKey("backups", "orders", "weekly", new Date(Date.UTC(2026, 10, 22, 3, 5)), "r1a2");
        const wm = watermarkKey("exports", "orders", { schema: "sales", table: "orders", column: "updated_at" });
        const dumpDoc = dumpRolePolicy(input);
        const exportDoc = exportRolePolicy({ ...input, prefix: "exports", watermarkPattern: WATERMARK_PATTERN });
        const verifyDoc = verifyRolePolicy(input);
        // when the requests each function makes are evaluated
        // then each is allowed to its function and no further
        assert.ok(permits(dumpDoc, { action: "s3:PutObject", resource: `${BUCKET}/${dump}` }));
        assert.ok(permits(dumpDoc, { action: "s3:PutObject", resource: `${BUCKET}/${manifestKey(dump)}` }));
        assert.ok(permits(verifyDoc, { action: "s3:GetObject", resource: `${BUCKET}/${manifestKey(dump)}` }));
        assert.ok(permits(verifyDoc, { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": databasePrefix("backups", "orders") } }));
        assert.ok(permits(exportDoc, { action: "s3:GetObject", resource: `${BUCKET}/${wm}` }));
        assert.ok(permits(exportDoc, { action: "s3:PutObject", resource: `${BUCKET}/${wm}` }));
        assert.ok(!permits(exportDoc, { action: "s3:GetObject", resource: `${BUCKET}/exports/orders/sales.orders/2026/11/22/x.csv.gz` }));
    });

    describe("refuses inputs that would widen the grant", () => {
        const cases: [string, () => unknown, RegExp][] = [
            ["an empty prefix", () => dumpRolePolicy({ ...input, prefix: "" }), /prefix: "" is not allowed/],
            ["a wildcard prefix", () => dumpRolePolicy({ ...input, prefix: "back*" }), /prefix: "back\*" is not allowed/],
            ["no secret", () => dumpRolePolicy({ ...input, secretArns: [] }), /secretArns: \[\] is not allowed for the dump function/],
            ["a secret that is not a secret ARN", () => verifyRolePolicy({ ...input, secretArns: ["*"] }), /secretArns\[0\]: "\*" is not allowed/],
            ["a bucket ARN with a wildcard", () => dumpRolePolicy({ ...input, bucketArn: "arn:aws:s3:::*" }), /bucketArn: "arn:aws:s3:::\*"/],
            ["a key alias instead of a key", () => dumpRolePolicy({ ...input, kmsKeyArn: "alias/backup" }), /kmsKeyArn: "alias\/backup"/],
            ["a watermark pattern covering every export", () => exportRolePolicy({ ...input, watermarkPattern: "*" }), /watermarkPattern: "\*" is not allowed/],
        ];
        for (const [what, build, message] of cases) {
            it(what, () => {
                // given a bad input; when the policy is built; then it throws naming it
                assert.throws(build, message);
            });
        }
    });

    it("normalizes slashes around a prefix", () => {
        // given prefixes with leading and trailing slashes; when normalized; then only the inner path is kept
        assert.strictEqual(normalizePrefix("/team/backups/"), "team/backups");
        assert.strictEqual(normalizePrefix("backups"), "backups");
    });
});

describe("trust and scheduler policies", () => {
    it("only Lambda assumes a function role", () => {
        // given the trust policy; when read; then the single principal is the Lambda service
        const doc = lambdaAssumeRolePolicy();
        assert.deepStrictEqual(doc.Statement.map((s) => [s.Principal.Service, s.Action]), [[["lambda.amazonaws.com"], ["sts:AssumeRole"]]]);
    });

    it("the scheduler assumes its role only for this account", () => {
        // given an account; when the trust policy is built; then it names the account as the source
        const doc = schedulerAssumeRolePolicy("123456789012");
        assert.deepStrictEqual(doc.Statement[0]?.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
        assert.throws(() => schedulerAssumeRolePolicy("12345"), /accountId: "12345" is not allowed; expected a 12-digit AWS account id/);
    });

    it("the scheduler may invoke one function and send to one queue", () => {
        // given a function and its queue
        const fn = "arn:aws:lambda:eu-west-1:123456789012:function:prod-dump-orders";
        const doc = schedulerRolePolicy({ functionArn: fn, deadLetterQueueArn: DLQ, kmsKeyArn: KEY, region: "eu-west-1", dnsSuffix: "amazonaws.com" });
        // when requests are evaluated
        // then only this function (any version) and this queue are reachable
        assert.strictEqual(permits(doc, { action: "lambda:InvokeFunction", resource: fn }), true);
        assert.strictEqual(permits(doc, { action: "lambda:InvokeFunction", resource: `${fn}:3` }), true);
        assert.strictEqual(permits(doc, { action: "lambda:InvokeFunction", resource: `${fn}-other` }), false);
        assert.strictEqual(permits(doc, { action: "sqs:SendMessage", resource: DLQ }), true);
        assert.strictEqual(permits(doc, { action: "sqs:SendMessage", resource: `${DLQ}-2` }), false);
        assert.strictEqual(permits(doc, { action: "kms:GenerateDataKey", resource: KEY, context: { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" } }), true);
        assert.strictEqual(permits(doc, { action: "kms:GenerateDataKey", resource: KEY, context: viaS3 }), false);
    });
});

describe("image repository documents", () => {
    it("the Lambda service pulls images for this account's functions only", () => {
        // given an account; when the repository policy is built
        const doc = imageRepositoryPolicy("aws", "eu-west-1", "123456789012");
        // then it allows the two pull actions to Lambda, conditioned on the account's functions
        assert.deepStrictEqual(doc.Statement[0]?.Action, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
        assert.deepStrictEqual(doc.Statement[0]?.Condition, { StringLike: { "aws:sourceArn": "arn:aws:lambda:eu-west-1:123456789012:function:*" } });
    });

    it("the lifecycle keeps the newest N images and refuses 0", () => {
        // given a count; when the lifecycle policy is built; then it expires images beyond the count
        const rule = (JSON.parse(imageLifecyclePolicy(7)) as { rules: { selection: Record<string, unknown>; action: unknown }[] }).rules[0];
        assert.deepStrictEqual(rule?.selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 7 });
        assert.deepStrictEqual(rule?.action, { type: "expire" });
        assert.throws(() => imageLifecyclePolicy(0), /keepImages: 0 is out of range 1\.\.1000/);
    });
});
