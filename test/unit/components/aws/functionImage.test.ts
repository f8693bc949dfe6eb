import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FUNCTION_HANDLERS } from "../../../../components/aws/backupFunction";
import { DOCKERFILE, IMAGE_CONTEXT_PATHS, contextDigest, imageBuildEnvironmentProblems, imageTag, lambdaArchitecture } from "../../../../components/aws/functionImage";

const ROOT = path.resolve(__dirname, "../../../..");
const dockerfile = fs.readFileSync(path.join(ROOT, DOCKERFILE), "utf8");

/** The body of a `<<'EOF'` heredoc that follows the given Dockerfile line prefix. */
function heredoc(startsWith: string): string {
    const lines = dockerfile.split("\n");
    const start = lines.findIndex((l) => l.startsWith(startsWith) && l.includes("<<'EOF'"));
    assert.ok(start >= 0, `no heredoc after ${startsWith}`);
    const end = lines.findIndex((l, i) => i > start && l === "EOF");
    return lines.slice(start + 1, end).join("\n");
}

function fixture(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-context-"));
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

describe("function image", () => {
    describe("context digest and tag", () => {
        const files = {
            "package.json": "{}",
            "package-lock.json": "{}",
            "tsconfig.json": "{}",
            "lambdas/Dockerfile": "FROM x",
            "lambdas/dump/handler.ts": "export const a = 1;",
            "lambdas/dump/dump.test.ts": "test",
            "cli/main.ts": "outside the context",
        };
        let dirs: string[] = [];
        afterEach(() => {
            for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
            dirs = [];
        });
        const make = (overrides: Record<string, string> = {}): string => {
            const d = fixture({ ...files, ...overrides });
            dirs.push(d);
            return d;
        };

        it("changes with a function's source, the Dockerfile or a build argument, and with nothing outside the image", () => {
            // given a context and variations of it
            const base = contextDigest(make(), { PG_MAJOR: "15" });
            // when one thing changes at a time
            // then the digest changes exactly when the image would
            assert.strictEqual(contextDigest(make(), { PG_MAJOR: "15" }), base, "same content, same digest");
            assert.notStrictEqual(contextDigest(make({ "lambdas/dump/handler.ts": "export const a = 2;" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make({ "lambdas/Dockerfile": "FROM y" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make({ "package-lock.json": "{\"v\":2}" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make(), { PG_MAJOR: "16" }), base);
            assert.strictEqual(contextDigest(make({ "cli/main.ts": "changed" }), { PG_MAJOR: "15" }), base, "the CLI is not in the image");
            assert.strictEqual(contextDigest(make({ "lambdas/dump/dump.test.ts": "changed" }), { PG_MAJOR: "15" }), base, "tests are not in the image");
        });

        it("refuses a directory that is not the repository root", () => {
            // given a directory without the image's sources; when digested; then the error names the path and what is missing
            const d = make();
            fs.rmSync(path.join(d, "lambdas"), { recursive: true });
            assert.throws(() => contextDigest(d, {}), /contextPath: ".*" has no lambdas; expected the repository root/);
        });

        it("tags name the client major, the architecture and the content", () => {
            // given a digest; when tagged; then the tag reads pg<major>-<arch>-<16 hex>
            assert.strictEqual(imageTag(16, "linux/arm64", "0123456789abcdef0123"), "pg16-arm64-0123456789abcdef");
            assert.strictEqual(lambdaArchitecture("linux/amd64"), "x86_64");
            assert.throws(() => imageTag(15, "linux/amd64", "xyz"), /digest: "xyz" is not a hex digest/);
        });
    });

    describe("Dockerfile and build context (read, not built: no Docker here)", () => {
        it("starts from the Node.js 22 Lambda base image and installs the client of PG_MAJOR, 15 by default", () => {
            // given the Dockerfile; when read; then base image, client and check are there
            assert.match(dockerfile, /^ARG NODE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:22$/m);
            assert.match(dockerfile, /^ARG PG_MAJOR=15$/m);
            assert.match(dockerfile, /dnf install -y "postgresql\$\{PG_MAJOR\}"/);
            assert.match(dockerfile, /pg_dump --version \| grep -Eq/);
            assert.match(dockerfile, /pg_restore --version \| grep -Eq/);
        });

        it("the .dockerignore allow-list is exactly what the tag digest covers", () => {
            // given the .dockerignore; when its allowed paths are read
            const ignore = fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim());
            const allowed = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
            // then they equal the digest's paths, everything else is excluded, and tests stay out
            assert.deepStrictEqual(allowed.sort(), [...IMAGE_CONTEXT_PATHS].sort());
            assert.strictEqual(ignore.find((l) => l !== "" && !l.startsWith("#")), "*");
            assert.ok(ignore.includes("lambdas/**/*.test.ts"));
        });

        it("compiles the functions so that every handler the components name exists, and keeps only the packages they require", function () {
            this.timeout(180_000);
            // given a copy of the build stage's inputs, with the Dockerfile's own tsconfig and pruning script
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-build-"));
            try {
                for (const f of ["package.json", "package-lock.json", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
                fs.cpSync(path.join(ROOT, "lambdas"), path.join(dir, "lambdas"), { recursive: true });
                fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
                fs.writeFileSync(path.join(dir, "tsconfig.image.json"), heredoc("COPY "));
                // when the build stage's compile and narrowing steps run
                execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.image.json"], { cwd: dir, stdio: "pipe" });
                execFileSync(process.execPath, ["-e", heredoc("RUN node ")], { cwd: dir, stdio: "pipe" });
                // then each handler file exists where the function's command points
                for (const handler of Object.values(FUNCTION_HANDLERS)) {
                    const file = `${handler.slice(0, handler.lastIndexOf("."))}.js`;
                    assert.ok(fs.existsSync(path.join(dir, "dist", file)), `dist/${file} for ${handler}`);
                    const exported = handler.slice(handler.lastIndexOf(".") + 1);
                    assert.match(fs.readFileSync(path.join(dir, "dist", file), "utf8"), new RegExp(`exports\\.${exported} =|function ${exported}\\(`));
                }
                assert.ok(!fs.readdirSync(path.join(dir, "dist"), { recursive: true }).some((f) => String(f).endsWith(".test.js")), "no test compiled into the image");
                // and the narrowed package.json keeps the runtime packages, not the deployment ones
                const deps = Object.keys((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies);
                for (const needed of ["pg", "@aws-sdk/client-s3", "@aws-sdk/lib-storage", "@aws-sdk/client-secrets-manager", "@aws-lambda-powertools/logger"]) {
                    assert.ok(deps.includes(needed), `${needed} kept`);
                }
                assert.deepStrictEqual(deps.filter((d) => d.startsWith("@pulumi/") || d === "yaml"), [], "deployment packages left out");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});

describe("the image build's environment", () => {
    it("requires BuildKit's default attestations off, so that the pushed tag is a single image manifest Lambda can run", () => {
        // given environments without the switch, with a false value, and with the values buildx reads as true
        // when they are checked; then only the true ones pass, and the message names the variable and its value
        assert.match(imageBuildEnvironmentProblems({}).join(), /^BUILDX_NO_DEFAULT_ATTESTATIONS: \(unset\) must be 1 where `pulumi up` runs/);
        assert.match(imageBuildEnvironmentProblems({ BUILDX_NO_DEFAULT_ATTESTATIONS: "0" }).join(), /: "0" must be 1/);
        assert.match(imageBuildEnvironmentProblems({ BUILDX_NO_DEFAULT_ATTESTATIONS: "yes" }).join(), /: "yes" must be 1/);
        for (const on of ["1", "true", "TRUE", "t"]) assert.deepStrictEqual(imageBuildEnvironmentProblems({ BUILDX_NO_DEFAULT_ATTESTATIONS: on }), []);
    });
});
