import * as assert from "assert";
import * as os from "os";
import * as path from "path";
import { childrenOf, MockState, settle, setupMocks } from "../../../helpers/mocks";

const COMPONENT = "pg-backup-stack:aws:FunctionImage";
const REPOSITORY = "aws:ecr/repository:Repository";
const IMAGE = "docker-build:index:Image";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/backup";
const FUNCTIONS = path.resolve(__dirname, "../../../../lambdas");
/** How the engine marks a secret input (pulumi's specialSigKey and secret signature). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

describe("FunctionImage (under mocks)", () => {
    let mocks: MockState;
    let mod: typeof import("../../../../components/aws/functionImage");

    beforeEach(async () => {
        mocks = setupMocks();
        mod = await import("../../../../components/aws/functionImage");
    });

    it("repository: scan on push, immutable tags, encrypted with the key, last N images kept, pulls by this account's functions", async () => {
        // given the image component with 5 images kept
        new mod.FunctionImage("pg-backup-fn", { kmsKeyArn: KEY, keepImages: 5, contextPath: FUNCTIONS });
        await settle(mocks);
        // when the repository and its policies are read
        const repo = mocks.one(REPOSITORY, "pg-backup-fn-repo").inputs;
        const lifecycle = JSON.parse(mocks.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "pg-backup-fn-lifecycle").inputs["policy"] as string) as { rules: { selection: { countNumber: number } }[] };
        const policy = JSON.parse(mocks.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "pg-backup-fn-policy").inputs["policy"] as string) as {
            Statement: { Principal: { Service: string[] }; Action: string[]; Condition: unknown }[];
        };
        // then they hold what the image needs to stay trustworthy
        assert.deepStrictEqual(repo["imageScanningConfiguration"], { scanOnPush: true });
        assert.strictEqual(repo["imageTagMutability"], "IMMUTABLE");
        assert.deepStrictEqual(repo["encryptionConfigurations"], [{ encryptionType: "KMS", kmsKey: KEY }]);
        assert.strictEqual(repo["forceDelete"], false);
        assert.strictEqual(lifecycle.rules[0]?.selection.countNumber, 5);
        assert.deepStrictEqual(policy.Statement[0]?.Principal.Service, ["lambda.amazonaws.com"]);
        assert.deepStrictEqual(policy.Statement[0]?.Condition, { StringLike: { "aws:sourceArn": "arn:aws:lambda:eu-west-1:123456789012:function:*" } });
    });

    it("image: built from the functions package's Dockerfile for the platform and client major, pushed with ECR credentials under a content tag", async () => {
        // given an arm64 image with the PostgreSQL 16 client
        const image = new mod.FunctionImage("pg-backup-fn", { kmsKeyArn: KEY, pgMajor: 16, platform: "linux/arm64", contextPath: FUNCTIONS });
        await settle(mocks);
        // when the build is read
        const build = mocks.one(IMAGE, "pg-backup-fn-image").inputs;
        const expectedTag = mod.imageTag(16, "linux/arm64", mod.contextDigest(FUNCTIONS, { PG_MAJOR: "16" }));
        // then it builds the right Dockerfile and context, pushes, and authenticates with the registry token
        assert.deepStrictEqual(build["context"], { location: FUNCTIONS });
        assert.deepStrictEqual(build["dockerfile"], { location: path.join(FUNCTIONS, "Dockerfile") });
        assert.deepStrictEqual(build["platforms"], ["linux/arm64"]);
        assert.deepStrictEqual(build["buildArgs"], { PG_MAJOR: "16" });
        assert.strictEqual(build["push"], true);
        assert.strictEqual(build["buildOnPreview"], false);
        assert.strictEqual(image.tag, expectedTag);
        assert.match(image.tag, /^pg16-arm64-[0-9a-f]{16}$/);
        assert.ok((build["tags"] as string[])[0]?.endsWith(`:${expectedTag}`));
        const registries = build["registries"] as { [SECRET_SIG]?: string; value?: Record<string, unknown>[] };
        assert.strictEqual(registries[SECRET_SIG], SECRET_VALUE_SIG, "the registry credentials travel as a secret");
        assert.deepStrictEqual(registries.value, [{ address: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", username: "AWS", password: "test" }]);
        assert.strictEqual(image.architecture, "arm64");
    });

    it("builds from the library's own functions package by default, whatever the working directory", async () => {
        // given a working directory that holds no functions package
        const cwd = process.cwd();
        process.chdir(os.tmpdir());
        try {
            // when the image is declared without a context
            new mod.FunctionImage("pg-backup-fn", { kmsKeyArn: KEY });
            await settle(mocks);
        } finally {
            process.chdir(cwd);
        }
        // then the context and Dockerfile are the functions package next to the components
        const build = mocks.one(IMAGE, "pg-backup-fn-image").inputs;
        assert.deepStrictEqual(build["context"], { location: FUNCTIONS });
        assert.deepStrictEqual(build["dockerfile"], { location: path.join(FUNCTIONS, "Dockerfile") });
    });

    it("parents every child to the component", async () => {
        // given the image component
        new mod.FunctionImage("pg-backup-fn", { kmsKeyArn: KEY, contextPath: FUNCTIONS });
        await settle(mocks);
        // when the children are listed; then every recorded resource is one of them
        const all = mocks.resources.filter((r) => r.type !== COMPONENT).map((r) => `${r.type}::${r.name}`).sort();
        assert.deepStrictEqual(childrenOf(mocks, COMPONENT, "pg-backup-fn").sort(), all);
        assert.strictEqual(all.length, 4);
    });

    describe("refuses bad arguments before creating anything", () => {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["a client Amazon Linux does not package", { pgMajor: 14 }, /pgMajor: 14 is out of range 15\.\.17/],
            ["no images kept", { keepImages: 0 }, /keepImages: 0 is out of range 1\.\.1000/],
            ["a context that is not a functions package", { contextPath: "/tmp" }, /contextPath: "\/tmp" has no package\.json; expected the functions package/],
            ["the mutable tag latest", { tag: "latest" }, /tag: "latest" is not allowed/],
        ];
        for (const [what, change, message] of cases) {
            it(what, async () => {
                // given one bad argument; when constructed; then it throws naming it, and nothing is created
                assert.throws(() => new mod.FunctionImage("bad", { kmsKeyArn: KEY, contextPath: FUNCTIONS, ...change }), message);
                await settle(mocks);
                assert.deepStrictEqual(mocks.resources.filter((r) => r.type !== COMPONENT), []);
            });
        }
    });
});
