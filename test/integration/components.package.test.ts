import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKERFILE, FUNCTIONS_PACKAGE_DIR, contextDigest, imageContextFiles } from "../../components/aws/functionImage";
import { packageImports, readManifest, sourceFiles } from "../helpers/packages";

/*
 * What the package's guarantees rest on: with "exports" defined, only the listed subpaths can be
 * imported and any other throws ERR_PACKAGE_PATH_NOT_EXPORTED (Node.js, "Modules: Packages", main
 * entry point export: https://nodejs.org/api/packages.html#main-entry-point-export); npm installs
 * peer dependencies the consumer does not declare unless peerDependenciesMeta marks them optional
 * (npm, package.json, peerDependenciesMeta: https://docs.npmjs.com/cli/v11/configuring-npm/package-json#peerdependenciesmeta).
 */
const ROOT = path.resolve(__dirname, "..", "..");
const LIBRARY = path.join(ROOT, "components");
const IMAGE = "docker-build:index:Image";

/** npm, offline: everything here comes from the tarball just packed or from the root's node_modules. */
function npm(cwd: string, args: readonly string[]): string {
    return execFileSync("npm", [...args, "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The files `npm pack` puts in the library's tarball, as npm lists them. */
function packedFiles(args: readonly string[]): { filename: string; files: string[] } {
    const [report] = JSON.parse(npm(LIBRARY, ["pack", "--json", ...args])) as { filename: string; files: { path: string }[] }[];
    assert.ok(report !== undefined, "npm pack reported nothing");
    return { filename: report.filename, files: report.files.map((f) => f.path).sort() };
}

/**
 * A fresh project with the tarball installed as a dependency and the given peers linked from the
 * root's node_modules (npm is told to leave peers alone, so that it needs no registry).
 */
function consumerProject(work: string, name: string, tarball: string, peers: readonly string[]): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, dependencies: { "pg-backup-stack": `file:${tarball}` } }));
    npm(dir, ["install", "--legacy-peer-deps", "--ignore-scripts"]);
    for (const peer of peers) {
        fs.mkdirSync(path.dirname(path.join(dir, "node_modules", peer)), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules", peer), path.join(dir, "node_modules", peer));
    }
    return dir;
}

/** A platform team's program: only the package's public entry point, typed by its declarations. */
const CONSUMER = `import { BackupBucket, BackupFunction, FunctionImage, RetentionTiers } from "pg-backup-stack";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0c9a2f0e-1111-4222-8333-944455556666";
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-orders-AbCdEf";

export function declareBackups(): { image: FunctionImage; bucket: BackupBucket; dump: BackupFunction } {
    const bucket = new BackupBucket("backups", { kmsKeyArn: KEY, tiers: RetentionTiers.gfs() });
    const image = new FunctionImage("functions", { kmsKeyArn: KEY });
    const dump = new BackupFunction("dump-orders", {
        kind: "dump",
        imageUri: image.imageUri,
        bucketArn: bucket.bucketArn,
        prefix: "backups",
        kmsKeyArn: KEY,
        secretArns: [SECRET],
        secretKmsKeyArns: [KEY],
        environment: { BACKUP_BUCKET: "pg-backups", DB_SECRET_ARN: SECRET },
        network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b"], databaseSecurityGroupIds: ["sg-0db"] },
        schedule: "cron(5 * * * ? *)",
    });
    return { image, bucket, dump };
}
`;

/** A program that takes one cloud's entry point each. */
const CLOUD_ENTRIES = `import * as aws from "pg-backup-stack/aws";
import * as azure from "pg-backup-stack/azure";

export const components: [typeof aws.BackupKey, typeof azure.GeoRedundantStorage, typeof azure.blobLifecycleProblems] = [aws.BackupKey, azure.GeoRedundantStorage, azure.blobLifecycleProblems];
`;

/** Runs the consumer under the project's recording mocks and prints what it declared. */
const RUNNER = (mocks: string): string => `import { settle, setupMocks } from ${JSON.stringify(mocks)};

async function main(): Promise<void> {
    const recorded = setupMocks();
    const { declareBackups } = require("./consumer") as typeof import("./consumer");
    const { image } = declareBackups();
    await settle(recorded);
    const build = recorded.ofType(${JSON.stringify(IMAGE)})[0]?.inputs;
    console.log(JSON.stringify({
        entry: require.resolve("pg-backup-stack"),
        resources: recorded.resources.map((r) => r.type + "::" + r.name),
        context: build?.["context"]?.location,
        dockerfile: build?.["dockerfile"]?.location,
        tag: image.tag,
    }));
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
`;

describe("the component library as an installed package (npm pack, offline install)", function () {
    this.timeout(600_000);
    let work = "";
    let tarball = "";
    let files: string[] = [];
    let app = "";

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "library-package-"));
        // npm pack builds the library first (its prepack script)
        const packed = packedFiles(["--pack-destination", work]);
        tarball = path.join(work, packed.filename);
        files = packed.files;
        // a fresh project with the tarball installed and the peers a program has (@pulumi/*)
        const peers = Object.keys(readManifest(LIBRARY).peerDependencies ?? {});
        app = consumerProject(work, "aws-and-azure", tarball, [...peers, "@types/node"]);
        fs.writeFileSync(path.join(app, "consumer.ts"), CONSUMER);
    });

    after(() => {
        if (work !== "") fs.rmSync(work, { recursive: true, force: true });
    });

    it("ships only the built JavaScript and declarations and the functions package's image context: no test, stack file, source map or TypeScript source of the library", () => {
        // given what the library compiles (its sources and the function modules they import) and what FunctionImage builds from
        const sources = sourceFiles(LIBRARY, ["node_modules", "bin", "scripts"]).filter((f) => !f.endsWith(".test.ts"));
        const compiled = packageImports(sources).files.map((f) => path.relative(ROOT, f).replace(/\.ts$/, ""));
        const expected = [
            "package.json",
            ...compiled.flatMap((f) => [`bin/${f}.js`, `bin/${f}.d.ts`]),
            ...[...imageContextFiles(FUNCTIONS_PACKAGE_DIR), DOCKERFILE, ".dockerignore"].map((f) => `bin/lambdas/${f}`),
        ];
        // when npm lists the tarball's files (a dry run lists the same)
        const dryRun = packedFiles(["--dry-run", "--ignore-scripts"]).files;
        // then they are exactly those
        assert.deepStrictEqual(files, [...new Set(expected)].sort());
        assert.deepStrictEqual(dryRun, files);
        assert.deepStrictEqual(files.filter((f) => /(^|\/)test\/|\.test\.|\.map$|Pulumi\.[^/]*\.yaml$|^bin\/components\/.*\.ts$(?<!\.d\.ts)/.test(f)), []);
    });

    it("declares a BackupBucket and a BackupFunction imported from \"pg-backup-stack\" and builds the image from inside the installed package", () => {
        // given the fresh project, with a runner that records what the consumer declares
        fs.writeFileSync(path.join(app, "run.ts"), RUNNER(path.join(ROOT, "test", "helpers", "mocks")));
        // when the program runs under Pulumi's mocks, outside the repository
        const out = execFileSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "run.ts"], {
            cwd: app, encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
        });
        const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { entry: string; resources: string[]; context: string; dockerfile: string; tag: string };
        const installed = fs.realpathSync(path.join(app, "node_modules", "pg-backup-stack"));
        // then the library came from the installed package, through its exports
        assert.strictEqual(result.entry, path.join(installed, "bin", "components", "index.js"));
        // and the components and their resources were declared
        for (const declared of [
            "pg-backup-stack:aws:BackupBucket::backups", "aws:s3/bucket:Bucket::backups-bucket",
            "pg-backup-stack:aws:FunctionImage::functions", `${IMAGE}::functions-image`,
            "pg-backup-stack:aws:BackupFunction::dump-orders", "aws:lambda/function:Function::dump-orders-function",
        ]) {
            assert.ok(result.resources.includes(declared), `${declared} declared; got ${result.resources.join(", ")}`);
        }
        // and the image builds from the functions package inside the installed library, the same sources as the repository's
        assert.strictEqual(result.context, path.join(installed, "bin", "lambdas"));
        assert.strictEqual(result.dockerfile, path.join(installed, "bin", "lambdas", DOCKERFILE));
        assert.deepStrictEqual(imageContextFiles(result.context), imageContextFiles(FUNCTIONS_PACKAGE_DIR));
        assert.strictEqual(contextDigest(result.context, { PG_MAJOR: "15" }), contextDigest(FUNCTIONS_PACKAGE_DIR, { PG_MAJOR: "15" }));
        assert.match(result.tag, /^pg15-x86_64-[0-9a-f]{16}$/);
    });

    it("types a consumer's program with the package's declarations, under Node's resolution (exports) and the older one (main, typesVersions)", () => {
        // given the consumer, and one that takes each cloud's entry point, alone in a strict project
        fs.writeFileSync(path.join(app, "entries.ts"), CLOUD_ENTRIES);
        const tsc = (moduleResolution: "node16" | "node10"): void => {
            fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({
                compilerOptions: { strict: true, module: moduleResolution === "node16" ? "node16" : "commonjs", moduleResolution, target: "ES2022", skipLibCheck: true, noEmit: true, types: ["node"] },
                files: ["consumer.ts", "entries.ts"],
            }));
            execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: app, stdio: "pipe" });
        };
        // when it is type-checked with either resolution; then it compiles
        tsc("node16");
        tsc("node10");
        // and a misuse of a component's output is refused, so the declarations are real types
        fs.appendFileSync(path.join(app, "entries.ts"), "export const misuse: number = new aws.BackupBucket(\"x\", { kmsKeyArn: \"k\", tiers: aws.RetentionTiers.gfs() }).bucketArn;\n");
        assert.throws(() => tsc("node16"), (err: unknown) => /TS2322/.test(String((err as { stdout?: Buffer }).stdout)));
    });

    it("loads pg-backup-stack/azure with only the Azure peers installed, and keeps its internals unexported", () => {
        // given a project with the Azure provider and none of the AWS ones
        const azure = consumerProject(work, "azure-only", tarball, ["@pulumi/pulumi", "@pulumi/azure-native", "@pulumi/random", "@pulumi/docker-build"]);
        // when the Azure entry, the AWS entry and an internal module are required
        const probe = `
            const out = {};
            out.azure = typeof require("pg-backup-stack/azure").GeoRedundantStorage;
            for (const [key, id] of [["aws", "pg-backup-stack/aws"], ["internal", "pg-backup-stack/bin/components/aws/backupKey.js"]]) {
                try { require(id); out[key] = "loaded"; } catch (err) { out[key] = err.code + " " + err.message.split("\\n")[0]; }
            }
            console.log(JSON.stringify(out));`;
        const result = JSON.parse(execFileSync(process.execPath, ["-e", probe], { cwd: azure, encoding: "utf8" })) as Record<string, string>;
        // then the Azure components load, the AWS entry names the peer it lacks, and internals stay behind the exports
        assert.strictEqual(result["azure"], "function");
        assert.match(result["aws"] ?? "", /^MODULE_NOT_FOUND Cannot find module '@pulumi\/aws'/);
        assert.match(result["internal"] ?? "", /^ERR_PACKAGE_PATH_NOT_EXPORTED /);
    });
});
