import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FUNCTION_HANDLERS } from "../../../../components/aws/backupFunction";
import {
    DOCKERFILE, FUNCTIONS_PACKAGE_DIR, IMAGE_CONTEXT_EXCLUDED, IMAGE_CONTEXT_PATHS, contextDigest, imageBuildEnvironmentProblems, imageContextFiles, imageTag, lambdaArchitecture,
} from "../../../../components/aws/functionImage";

const dockerfile = fs.readFileSync(path.join(FUNCTIONS_PACKAGE_DIR, DOCKERFILE), "utf8");

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
            "Dockerfile": "FROM x",
            "README.md": "outside the context",
            "dump/handler.ts": "export const a = 1;",
            "dump/dump.test.ts": "test",
            "export/handler.ts": "export const b = 1;",
            "verify/handler.ts": "export const c = 1;",
            "shared/tiers.ts": "export const d = 1;",
            "shared/tiers.d.ts": "export declare const d: number;",
            "shared/tiers.js": "exports.d = 1;",
            "shared/node_modules/pg/index.ts": "installed",
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

        it("changes with a function's source, the Dockerfile, the lock or a build argument, and with nothing outside the image", () => {
            // given a context and variations of it
            const base = contextDigest(make(), { PG_MAJOR: "15" });
            // when one thing changes at a time
            // then the digest changes exactly when the image would
            assert.strictEqual(contextDigest(make(), { PG_MAJOR: "15" }), base, "same content, same digest");
            assert.notStrictEqual(contextDigest(make({ "dump/handler.ts": "export const a = 2;" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make({ "verify/new.ts": "export const e = 1;" }), { PG_MAJOR: "15" }), base, "a new source");
            assert.notStrictEqual(contextDigest(make({ Dockerfile: "FROM y" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make({ "package-lock.json": "{\"v\":2}" }), { PG_MAJOR: "15" }), base);
            assert.notStrictEqual(contextDigest(make(), { PG_MAJOR: "16" }), base);
            assert.strictEqual(contextDigest(make({ "dump/dump.test.ts": "changed" }), { PG_MAJOR: "15" }), base, "tests are not in the image");
            assert.strictEqual(contextDigest(make({ "shared/tiers.d.ts": "changed", "shared/tiers.js": "changed" }), { PG_MAJOR: "15" }), base, "the library's compiled copy is not in the image");
            assert.strictEqual(contextDigest(make({ "shared/node_modules/pg/index.ts": "changed" }), { PG_MAJOR: "15" }), base, "installed packages are not in the image");
            assert.strictEqual(contextDigest(make({ "README.md": "changed" }), { PG_MAJOR: "15" }), base, "nothing outside the context paths");
        });

        it("lists the package files and the sources, without tests, declarations or installed packages", () => {
            // given a functions package; when its context is listed; then it holds exactly what the image compiles
            assert.deepStrictEqual(imageContextFiles(make()), [
                "dump/handler.ts", "export/handler.ts", "package-lock.json", "package.json", "shared/tiers.ts", "tsconfig.json", "verify/handler.ts",
            ]);
        });

        it("refuses a directory that is not a functions package", () => {
            // given a directory without the lock; when digested; then the error names the path and what is missing
            const d = make();
            fs.rmSync(path.join(d, "package-lock.json"));
            assert.throws(() => contextDigest(d, {}), /contextPath: ".*" has no package-lock\.json; expected the functions package/);
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
            // given the functions package's .dockerignore; when its rules are read
            const ignore = fs.readFileSync(path.join(FUNCTIONS_PACKAGE_DIR, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
            // then everything is excluded first, the digest's paths are let in, and what never reaches the image stays out
            assert.strictEqual(ignore[0], "*");
            assert.deepStrictEqual(ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, "")), [...IMAGE_CONTEXT_PATHS]);
            assert.deepStrictEqual(ignore.slice(1).filter((l) => !l.startsWith("!")), [...IMAGE_CONTEXT_EXCLUDED]);
        });

        it("takes in every directory of the functions package that holds sources", () => {
            // given the package's directories with TypeScript in them (a new function would add one)
            const withSources = fs.readdirSync(FUNCTIONS_PACKAGE_DIR, { withFileTypes: true })
                .filter((e) => e.isDirectory() && !["node_modules", "dist"].includes(e.name))
                .filter((e) => fs.readdirSync(path.join(FUNCTIONS_PACKAGE_DIR, e.name), { recursive: true }).some((f) => String(f).endsWith(".ts")))
                .map((e) => e.name);
            // then each one is a context path, so the image compiles it and the tag changes with it
            assert.deepStrictEqual(withSources.filter((d) => !IMAGE_CONTEXT_PATHS.includes(d)), []);
        });

        it("installs from the context's lock alone and compiles the functions, so that every handler the components name exists", function () {
            this.timeout(600_000);
            // given a copy of the context (the package's files and sources, nothing else)
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-build-"));
            try {
                for (const rel of imageContextFiles(FUNCTIONS_PACKAGE_DIR)) {
                    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
                    fs.copyFileSync(path.join(FUNCTIONS_PACKAGE_DIR, rel), path.join(dir, rel));
                }
                // when the build stage's steps run: npm ci from the package's own lock (offline, from the
                // cache the root's npm ci filled), so only the declared packages are there, then the compile
                assert.match(dockerfile, /^COPY package\.json package-lock\.json \.\/\nRUN npm ci --ignore-scripts /m);
                assert.match(dockerfile, /^RUN npx tsc -p tsconfig\.json$/m);
                execFileSync("npm", ["ci", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "pipe" });
                assert.ok(!fs.existsSync(path.join(dir, "node_modules", "@pulumi")), "no deployment package installed");
                execFileSync(process.execPath, [path.join(dir, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: dir, stdio: "pipe" });
                // then each handler file exists where the function's command points
                for (const handler of Object.values(FUNCTION_HANDLERS)) {
                    const file = `${handler.slice(0, handler.lastIndexOf("."))}.js`;
                    assert.ok(fs.existsSync(path.join(dir, "dist", file)), `dist/${file} for ${handler}`);
                    const exported = handler.slice(handler.lastIndexOf(".") + 1);
                    assert.match(fs.readFileSync(path.join(dir, "dist", file), "utf8"), new RegExp(`exports\\.${exported} =|function ${exported}\\(`));
                }
                assert.ok(!fs.readdirSync(path.join(dir, "dist"), { recursive: true }).some((f) => String(f).endsWith(".test.js")), "no test compiled into the image");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("keeps only the runtime dependencies in the image", () => {
            // given the Dockerfile; when read; then the build stage prunes the compiler and type packages before the final stage copies node_modules
            assert.match(dockerfile, /^RUN npm prune --omit=dev .*\n\nFROM \$\{NODE_IMAGE\}$/m);
            assert.match(dockerfile, /^COPY --from=build \/build\/node_modules /m);
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
