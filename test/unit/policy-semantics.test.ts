import * as assert from "assert";
import fc from "fast-check";
import { alertTopicPolicy } from "../../components/aws/documents/alerts";
import { backupAssumeRolePolicy, backupRoleKmsPolicy } from "../../components/aws/documents/awsBackup";
import { backupBucketPolicy, logBucketPolicy } from "../../components/aws/documents/bucketPolicy";
import {
    FunctionPolicyInput,
    WATERMARK_PATTERN,
    dumpRolePolicy,
    exportRolePolicy,
    imageRepositoryPolicy,
    lambdaAssumeRolePolicy,
    schedulerAssumeRolePolicy,
    schedulerRolePolicy,
    verifyRolePolicy,
} from "../../components/aws/documents/functionPolicies";
import { taskEventsLogPolicy } from "../../components/aws/documents/fargate";
import { backupKeyPolicy } from "../../components/aws/documents/keyPolicy";
import { replicationAssumeRolePolicy, replicationRolePolicy } from "../../components/aws/documents/replication";
import { ACCOUNT, OTHER_ACCOUNT, REGION, SimRequest, allows, decide, unknownActions } from "../helpers/iamSimulator";

/**
 * What the policies the stack declares let each principal do, evaluated by an IAM policy
 * simulator against the requests each guarantee depends on, with the request context the
 * calling service sends. Fixtures mirror program/aws.ts.
 */

const DR_REGION = "eu-central-1";
const BUCKET = "arn:aws:s3:::prod-backups";
const DR_BUCKET = "arn:aws:s3:::prod-backups-dr";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-0c9a2f0e111142228333944455556666`;
const DR_KEY = `arn:aws:kms:${DR_REGION}:${ACCOUNT}:key/mrk-0c9a2f0e111142228333944455556666`;
const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
const DUMP_ROLE = role("prod-dump-orders-role");
const EXPORT_ROLE = role("prod-export-orders-role");
const VERIFY_ROLE = role("prod-verify-role");
const REPLICATION_ROLE = role("prod-backups-replication");
const ALARM_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts-topic-1a2b3c`;
const JOB_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts-jobs-topic-4d5e6f`;
const TLS = { "aws:SecureTransport": "true" };

const functionInput = (prefix: string, name: string): FunctionPolicyInput => ({
    region: REGION,
    dnsSuffix: "amazonaws.com",
    bucketArn: BUCKET,
    prefix,
    kmsKeyArn: KEY,
    secretArns: [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-orders-AbCdEf`],
    secretKmsKeyArns: [],
    runtime: {
        kind: "lambda",
        logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${name}`,
        deadLetterQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}-dlq`,
    },
});
const dumpPolicy = dumpRolePolicy(functionInput("backups", "prod-dump-orders"));
const exportPolicy = exportRolePolicy({ ...functionInput("exports", "prod-export-orders"), watermarkPattern: WATERMARK_PATTERN });
const verifyPolicy = verifyRolePolicy(functionInput("backups", "prod-verify"));
const bucketPolicy = backupBucketPolicy({ bucketArn: BUCKET, kmsKeyArn: KEY, writerRoleArns: [], readerRoleArns: [] });
const keyPolicy = (region: string) => backupKeyPolicy({
    accountId: ACCOUNT,
    partition: "aws",
    region,
    dnsSuffix: "amazonaws.com",
    administratorArns: [],
    userRoleArns: [],
    viaServices: ["s3", "backup", "rds", "secretsmanager", "sqs", "sns"],
    servicePrincipals: ["backup.amazonaws.com", "cloudwatch.amazonaws.com", `logs.${region}.amazonaws.com`],
});
const replicationPolicy = replicationRolePolicy({
    sourceBucketArn: BUCKET, destinationBucketArn: DR_BUCKET, sourceKmsKeyArn: KEY, replicaKmsKeyArn: DR_KEY,
    sourceRegion: REGION, destinationRegion: DR_REGION, dnsSuffix: "amazonaws.com", objectLock: true,
});

/** A role of this account calling S3 on the backup bucket: its identity policy and the bucket policy decide. */
const onBucket = (principal: string, identity: unknown, action: string, resource: string, context: SimRequest["context"] = {}): SimRequest => ({
    principal, action, resource, identityPolicies: [identity], resourcePolicy: bucketPolicy, context: { ...TLS, ...context },
});
/** The headers of the dump's CreateMultipartUpload and of its manifest's PutObject, as condition keys. */
const lockedUpload = (mode: string, until: string) => ({
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
    "s3:object-lock-mode": mode,
    "s3:object-lock-retain-until-date": until,
});
const DUMP_OBJECT = `${BUCKET}/backups/orders/monthly/2026/03/01/orders-20260301T020000000Z-0123456789ab.dump`;

describe("policy semantics (IAM policy simulator)", function () {
    this.timeout(60_000);

    describe("the simulator helper itself", () => {
        it("refuses an action AWS does not have and a context key the action does not carry", async () => {
            await assert.rejects(decide({ principal: DUMP_ROLE, action: "s3:PutObjectRetentionDays", resource: DUMP_OBJECT, identityPolicies: [dumpPolicy] }), /refused/);
            await assert.rejects(decide({ principal: DUMP_ROLE, action: "s3:PutObject", resource: DUMP_OBJECT, identityPolicies: [dumpPolicy], context: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } }), /does not carry the context key/);
        });
    });

    describe("dump role and bucket policy: writes dumps with their lock, never deletes or shortens one", () => {
        it("writes a dump and its manifest under its prefix with SSE-KMS and a per-object retention", async () => {
            for (const mode of ["GOVERNANCE", "COMPLIANCE"]) {
                assert.ok(await allows(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObject", DUMP_OBJECT, lockedUpload(mode, "2027-04-05T02:00:00Z"))), mode);
            }
            assert.ok(await allows(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObjectRetention", DUMP_OBJECT, { "s3:object-lock-mode": "GOVERNANCE", "s3:object-lock-retain-until-date": "2027-04-05T02:00:00Z" })));
        });

        it("sets retention nowhere outside its prefix", async () => {
            for (const key of [`${BUCKET}/exports/orders/x.csv.gz`, `${BUCKET}/backupsx/orders/a.dump`, `${BUCKET}/other/backups/a.dump`]) {
                assert.equal(await allows(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObjectRetention", key)), false, key);
                assert.equal(await allows(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObject", key)), false, key);
            }
        });

        it("can neither delete an object or version, bypass governance, lift a legal hold, nor change the bucket's lock, lifecycle or replication", async () => {
            const objects = [DUMP_OBJECT, `${DUMP_OBJECT}.manifest.json`, `${BUCKET}/exports/orders/x.csv.gz`, `${BUCKET}/anything`];
            for (const key of objects) {
                for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:DeleteObjectTagging"]) {
                    assert.equal(await decide(onBucket(DUMP_ROLE, dumpPolicy, action, key)), "ExplicitlyDenied", `${action} on ${key}`);
                }
            }
            for (const action of ["s3:PutBucketObjectLockConfiguration", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutBucketVersioning"]) {
                assert.equal(await decide(onBucket(DUMP_ROLE, dumpPolicy, action, BUCKET)), "ExplicitlyDenied", action);
            }
        });

        it("still cannot delete when another policy attached to the role allows s3:* and s3:Delete*", async () => {
            const extra = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:*", "s3:Delete*"], Resource: ["*"] }] };
            for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"]) {
                const req = { ...onBucket(DUMP_ROLE, dumpPolicy, action, DUMP_OBJECT), identityPolicies: [dumpPolicy, extra] };
                assert.equal(await decide(req), "ExplicitlyDenied", action);
            }
        });

        it("a writer naming another key or no KMS is refused by the bucket policy", async () => {
            const otherKey = { ...lockedUpload("GOVERNANCE", "2027-04-05T02:00:00Z"), "s3:x-amz-server-side-encryption-aws-kms-key-id": `arn:aws:kms:${REGION}:${ACCOUNT}:key/other` };
            assert.equal(await decide(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObject", DUMP_OBJECT, otherKey)), "ExplicitlyDenied");
            assert.equal(await decide(onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObject", DUMP_OBJECT, { "s3:x-amz-server-side-encryption": "AES256" })), "ExplicitlyDenied");
        });

        it("nothing reaches the bucket without TLS", async () => {
            assert.equal(await decide({ ...onBucket(DUMP_ROLE, dumpPolicy, "s3:PutObject", DUMP_OBJECT), context: { "aws:SecureTransport": "false" } }), "ExplicitlyDenied");
        });
    });

    describe("export and verify roles", () => {
        it("export writes under its prefix and reads back only its watermarks; it never deletes nor sets retention", async () => {
            const object = `${BUCKET}/exports/orders/public.orders/2026/03/01/x.csv.gz`;
            const watermark = `${BUCKET}/exports/orders/_watermarks/public.orders.json`;
            assert.ok(await allows(onBucket(EXPORT_ROLE, exportPolicy, "s3:PutObject", object, { "s3:x-amz-server-side-encryption": "aws:kms" })));
            assert.ok(await allows(onBucket(EXPORT_ROLE, exportPolicy, "s3:GetObject", watermark)));
            assert.equal(await allows(onBucket(EXPORT_ROLE, exportPolicy, "s3:GetObject", object)), false);
            for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"]) {
                assert.equal(await decide(onBucket(EXPORT_ROLE, exportPolicy, action, object)), "ExplicitlyDenied", action);
            }
        });

        it("verify reads dumps and nothing else, and can write nothing", async () => {
            assert.ok(await allows(onBucket(VERIFY_ROLE, verifyPolicy, "s3:GetObject", DUMP_OBJECT)));
            assert.ok(await allows(onBucket(VERIFY_ROLE, verifyPolicy, "s3:ListBucket", BUCKET, { "s3:prefix": "backups/orders/" })));
            for (const action of ["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectRetention", "s3:DeleteObject", "s3:DeleteObjectVersion"]) {
                assert.equal(await decide(onBucket(VERIFY_ROLE, verifyPolicy, action, DUMP_OBJECT)), "ExplicitlyDenied", action);
            }
        });
    });

    it("property: no function role can delete, unlock or bypass a lock on any key of the bucket, whatever else IAM grants it", async () => {
        const key = fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/"));
        const prefixed = fc.tuple(fc.constantFrom("backups/", "exports/", ""), key).map(([p, k]) => `${BUCKET}/${p}${k}`);
        const roles = fc.constantFrom<[string, unknown]>([DUMP_ROLE, dumpPolicy], [EXPORT_ROLE, exportPolicy], [VERIFY_ROLE, verifyPolicy]);
        const destructive = fc.constantFrom("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold");
        const extra = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:Delete*", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"], Resource: ["*"] }] };
        await fc.assert(fc.asyncProperty(roles, prefixed, destructive, async ([principal, policy], object, action) => {
            const req = { ...onBucket(principal, policy, action, object), identityPolicies: [policy, extra] };
            assert.equal(await decide(req), "ExplicitlyDenied", `${principal} ${action} ${object}`);
        }), { numRuns: 60 });
    });

    describe("a Fargate runner's task-failure events: EventBridge writes them to that runner's log group only", () => {
        const group = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/prod-dump-orders`;
        const policy = taskEventsLogPolicy({ logGroupArns: [group] });
        const write = (principal: string, action: string, resource: string, identityPolicies: readonly unknown[] = []): SimRequest =>
            ({ principal, action, resource, resourcePolicy: policy, identityPolicies });

        it("EventBridge creates a stream in the runner's log group and puts the events there", async () => {
            for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
                assert.ok(await allows(write("events.amazonaws.com", action, `${group}:log-stream:3317b2af`)), action);
            }
        });

        it("nothing else: not another log group, not reading, not a role of another account", async () => {
            assert.equal(await allows(write("events.amazonaws.com", "logs:PutLogEvents", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/prod-verify-orders:log-stream:x`)), false);
            assert.equal(await allows(write("events.amazonaws.com", "logs:GetLogEvents", `${group}:log-stream:3317b2af`)), false);
            const everything = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:*"], Resource: ["*"] }] };
            assert.equal(await allows({ ...write(role("attacker", OTHER_ACCOUNT), "logs:PutLogEvents", `${group}:log-stream:x`, [everything]) }), false);
        });
    });

    describe("key policy: the services that use the key themselves, only for this account", () => {
        const key = keyPolicy(REGION);
        const viaSns = (topic: string) => ({ "kms:EncryptionContext:aws:sns:topicArn": topic });
        const kms = (principal: string, action: string, context: SimRequest["context"]): SimRequest =>
            ({ principal, action, resource: KEY, resourcePolicy: key, context });

        it("CloudWatch alarms and AWS Backup can publish to this account's encrypted topics (GenerateDataKey, Decrypt)", async () => {
            for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
                assert.ok(await allows(kms("cloudwatch.amazonaws.com", action, { ...viaSns(ALARM_TOPIC), "aws:SourceAccount": ACCOUNT, "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:prod-orders-backup-missing` })), `cloudwatch ${action}`);
                // AWS Backup documents no aws:SourceAccount for its notifications: the key must not depend on it
                assert.ok(await allows(kms("backup.amazonaws.com", action, viaSns(JOB_TOPIC))), `backup ${action}`);
            }
        });

        it("neither service can use the key for a topic of another account, nor without a topic", async () => {
            for (const principal of ["cloudwatch.amazonaws.com", "backup.amazonaws.com"]) {
                const foreign = `arn:aws:sns:${REGION}:${OTHER_ACCOUNT}:their-topic`;
                assert.equal(await allows(kms(principal, "kms:GenerateDataKey", { ...viaSns(foreign), "aws:SourceAccount": OTHER_ACCOUNT })), false, principal);
                assert.equal(await allows(kms(principal, "kms:Decrypt", {})), false, principal);
            }
        });

        it("names no service principal that nothing uses (EventBridge)", async () => {
            assert.equal(await allows(kms("events.amazonaws.com", "kms:GenerateDataKey", { ...viaSns(ALARM_TOPIC), "aws:SourceAccount": ACCOUNT })), false);
        });

        it("CloudWatch Logs can encrypt the RDS and function log groups of this account, and no other", async () => {
            for (const group of [`/aws/rds/instance/prod-orders/postgresql`, `/aws/rds/instance/prod-orders/upgrade`, `/aws/lambda/prod-dump-orders`]) {
                const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}`;
                for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"]) {
                    assert.ok(await allows(kms(`logs.${REGION}.amazonaws.com`, action, { "kms:EncryptionContext:aws:logs:arn": arn })), `${action} ${group}`);
                }
            }
            const foreign = `arn:aws:logs:${REGION}:${OTHER_ACCOUNT}:log-group:/aws/rds/instance/x/postgresql`;
            assert.equal(await allows(kms(`logs.${REGION}.amazonaws.com`, "kms:Encrypt", { "kms:EncryptionContext:aws:logs:arn": foreign })), false);
            assert.equal(await allows(kms(`logs.${DR_REGION}.amazonaws.com`, "kms:Encrypt", { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/x` })), false);
        });

        it("nothing outside the account can use the key, whatever its own IAM policy says", async () => {
            const everything = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:*"], Resource: ["*"] }] };
            for (const action of ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:CreateGrant", "kms:ScheduleKeyDeletion"]) {
                const req: SimRequest = { principal: role("attacker", OTHER_ACCOUNT), action, resource: KEY, resourcePolicy: key, identityPolicies: [everything], context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } };
                assert.equal(await allows(req), false, action);
            }
        });

        it("the dump role encrypts through S3 only, never calling KMS directly", async () => {
            const s3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": BUCKET };
            const req = (context: SimRequest["context"]): SimRequest => ({ principal: DUMP_ROLE, action: "kms:GenerateDataKey", resource: KEY, resourcePolicy: key, identityPolicies: [dumpPolicy], context });
            assert.ok(await allows(req(s3)));
            assert.equal(await allows(req({})), false);
        });
    });

    describe("topic policies: each publishing service as AWS documents it", () => {
        const publish = (topic: string, principal: string, context: SimRequest["context"]): SimRequest => ({
            principal, action: "sns:Publish", resource: topic,
            resourcePolicy: JSON.parse(alertTopicPolicy(topic, ACCOUNT, topic === JOB_TOPIC ? ["backup.amazonaws.com"] : ["cloudwatch.amazonaws.com"])),
            context: { ...TLS, ...context },
        });

        it("AWS Backup publishes vault notifications without aws:SourceAccount", async () => {
            assert.ok(await allows(publish(JOB_TOPIC, "backup.amazonaws.com", {})));
        });

        it("CloudWatch publishes for the alarms of this account only (the alarm's ARN is the source it sends)", async () => {
            const alarm = (account: string) => ({ "aws:SourceAccount": account, "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${account}:alarm:prod-orders-backup-missing` });
            assert.ok(await allows(publish(ALARM_TOPIC, "cloudwatch.amazonaws.com", alarm(ACCOUNT))));
            assert.equal(await allows(publish(ALARM_TOPIC, "cloudwatch.amazonaws.com", alarm(OTHER_ACCOUNT))), false);
            assert.equal(await allows(publish(ALARM_TOPIC, "cloudwatch.amazonaws.com", {})), false);
        });

        it("a topic lets only its own publisher in, and nothing over plain HTTP", async () => {
            assert.equal(await allows(publish(ALARM_TOPIC, "backup.amazonaws.com", {})), false);
            assert.equal(await allows(publish(JOB_TOPIC, "cloudwatch.amazonaws.com", { "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:a` })), false);
            assert.equal(await allows(publish(ALARM_TOPIC, "events.amazonaws.com", { "aws:SourceAccount": ACCOUNT })), false);
            assert.equal(await decide(publish(JOB_TOPIC, "backup.amazonaws.com", { "aws:SecureTransport": "false" })), "ExplicitlyDenied");
        });
    });

    describe("replication role", () => {
        const req = (action: string, resource: string, context: SimRequest["context"] = {}): SimRequest =>
            ({ principal: REPLICATION_ROLE, action, resource, identityPolicies: [replicationPolicy], context });

        it("reads source versions with their Object Lock retention and writes replicas", async () => {
            for (const action of ["s3:GetObjectVersionForReplication", "s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:GetObjectVersionTagging"]) {
                assert.ok(await allows(req(action, DUMP_OBJECT)), action);
            }
            for (const action of ["s3:ReplicateObject", "s3:ReplicateTags"]) {
                assert.ok(await allows(req(action, `${DR_BUCKET}/backups/orders/a.dump`)), action);
            }
        });

        it("encrypts replicas with the replica key through S3 in the DR region, for the DR bucket only", async () => {
            const ok = { "kms:ViaService": `s3.${DR_REGION}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": DR_BUCKET };
            assert.ok(await allows({ ...req("kms:Encrypt", DR_KEY, ok), resourcePolicy: keyPolicy(DR_REGION) }));
            assert.equal(await allows({ ...req("kms:Encrypt", DR_KEY, { ...ok, "kms:ViaService": `s3.${REGION}.amazonaws.com` }), resourcePolicy: keyPolicy(DR_REGION) }), false);
            assert.equal(await allows({ ...req("kms:Encrypt", DR_KEY, { ...ok, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::someone-else" }), resourcePolicy: keyPolicy(DR_REGION) }), false);
            assert.ok(await allows({ ...req("kms:Decrypt", KEY, { "kms:ViaService": `s3.${REGION}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": `${DUMP_OBJECT}` }), resourcePolicy: keyPolicy(REGION) }));
        });

        it("cannot delete on either side", async () => {
            for (const action of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"]) {
                assert.equal(await allows(req(action, DUMP_OBJECT)), false, action);
                assert.equal(await allows(req(action, `${DR_BUCKET}/backups/a.dump`)), false, action);
            }
        });
    });

    describe("a stack-owned master secret (masterCredentials: replicated) and its replica", () => {
        // Secrets Manager's ARN of the primary and of its replica differ only in the Region
        // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html).
        const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-master-secret-AbCdEf`;
        const REPLICA = SECRET.replace(`:${REGION}:`, `:${DR_REGION}:`);
        const OTHER = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:payments-master-secret-GhIjKl`;
        const DEPLOYER = role("prod-deployer");
        const dump = dumpRolePolicy({ ...functionInput("backups", "prod-dump-orders"), secretArns: [SECRET], secretKmsKeyArns: [KEY] });
        const via = (region: string) => ({ "kms:ViaService": `secretsmanager.${region}.amazonaws.com` });
        const withDeployer = (region: string) => backupKeyPolicy({
            accountId: ACCOUNT, partition: "aws", region, dnsSuffix: "amazonaws.com", administratorArns: [], userRoleArns: [DEPLOYER],
            viaServices: ["s3", "backup", "rds", "secretsmanager", "sqs", "sns"], servicePrincipals: [],
        });

        it("the function reads its database's secret and no other, not even the replica", async () => {
            const read = (resource: string): SimRequest => ({ principal: DUMP_ROLE, action: "secretsmanager:GetSecretValue", resource, identityPolicies: [dump] });
            assert.ok(await allows(read(SECRET)));
            assert.equal(await allows(read(OTHER)), false);
            assert.equal(await allows(read(REPLICA)), false);
        });

        it("the function decrypts the secret through Secrets Manager in the primary region only", async () => {
            const decrypt = (resource: string, context: SimRequest["context"]): SimRequest =>
                ({ principal: DUMP_ROLE, action: "kms:Decrypt", resource, identityPolicies: [dump], resourcePolicy: keyPolicy(REGION), context });
            assert.ok(await allows(decrypt(KEY, via(REGION))));
            assert.equal(await allows(decrypt(KEY, {})), false);
            assert.equal(await allows({ ...decrypt(DR_KEY, via(DR_REGION)), resourcePolicy: keyPolicy(DR_REGION) }), false);
        });

        // ReplicateSecretToRegions (and CreateSecret with replicas) needs kms:GenerateDataKey and
        // kms:Encrypt on the replica's key, used by Secrets Manager in the replica's Region
        // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html).
        it("a key user encrypts the replica with the replica key through Secrets Manager in the DR region, and only there", async () => {
            const replicaKey = withDeployer(DR_REGION);
            const use = (action: string, context: SimRequest["context"]): SimRequest => ({ principal: DEPLOYER, action, resource: DR_KEY, resourcePolicy: replicaKey, context });
            for (const action of ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"]) {
                assert.ok(await allows(use(action, via(DR_REGION))), action);
                assert.equal(await allows(use(action, via(REGION))), false, `${action} through the primary region's endpoint`);
                assert.equal(await allows(use(action, {})), false, `${action} called directly`);
            }
            // and the primary key is not usable through the DR region's Secrets Manager
            assert.equal(await allows({ principal: DEPLOYER, action: "kms:GenerateDataKey", resource: KEY, resourcePolicy: withDeployer(REGION), context: via(DR_REGION) }), false);
        });
    });

    it("every action in every policy document the stack builds is in AWS's action catalogue", async () => {
        const documents: Record<string, unknown> = {
            "key policy": keyPolicy(REGION),
            "bucket policy": bucketPolicy,
            "log bucket policy": logBucketPolicy({ logBucketArn: "arn:aws:s3:::prod-backups-logs", sourceBucketArns: [BUCKET], accountId: ACCOUNT, targetPrefix: "s3-access/" }),
            "alarm topic policy": JSON.parse(alertTopicPolicy(ALARM_TOPIC, ACCOUNT, ["cloudwatch.amazonaws.com"])),
            "job topic policy": JSON.parse(alertTopicPolicy(JOB_TOPIC, ACCOUNT, ["backup.amazonaws.com"])),
            "dump role": dumpPolicy,
            "export role": exportPolicy,
            "verify role": verifyPolicy,
            "function trust": lambdaAssumeRolePolicy(),
            "scheduler trust": schedulerAssumeRolePolicy(ACCOUNT),
            "scheduler role": schedulerRolePolicy({ functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:prod-dump-orders`, deadLetterQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q`, kmsKeyArn: KEY, region: REGION, dnsSuffix: "amazonaws.com" }),
            "image repository": imageRepositoryPolicy("aws", REGION, ACCOUNT),
            "replication role": replicationPolicy,
            "replication trust": replicationAssumeRolePolicy(),
            "AWS Backup trust": JSON.parse(backupAssumeRolePolicy()),
            "AWS Backup key use": JSON.parse(backupRoleKmsPolicy([KEY, DR_KEY])),
        };
        for (const [name, doc] of Object.entries(documents)) {
            assert.deepEqual(await unknownActions(doc), [], name);
        }
        assert.deepEqual(await unknownActions({ Statement: [{ Action: ["s3:PutObjectRetention", "s3:PutObjectRetentionDays", "kms:Nothing*"] }] }), ["s3:PutObjectRetentionDays", "kms:Nothing*"]);
    });
});
