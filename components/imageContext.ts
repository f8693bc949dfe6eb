/**
 * What the functions' image is built from, whatever registry it is pushed to: the functions
 * package, the files of its context, their digest and the tag derived from it, and the build
 * environment the image must be built in.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * The functions package (lambdas/): the image's build context, holding its Dockerfile, package.json
 * and package-lock.json. Resolved from this module's own location, never from the working
 * directory, so that it is found wherever the library runs: in the repository this module is
 * components/imageContext.ts and the package is ../lambdas; in the installed library it is
 * bin/components/imageContext.js and the library ships the package's sources as bin/lambdas.
 */
export const FUNCTIONS_PACKAGE_DIR = path.resolve(__dirname, "..", "lambdas");

/** The Dockerfile of the functions' image, relative to the functions package. */
export const DOCKERFILE = "Dockerfile";

/**
 * What the image is built from, relative to the functions package (the .dockerignore allow-list):
 * the digest, and so the tag, covers exactly these and the Dockerfile. Directories are listed one
 * by one because a `**` exception after `*` (all TypeScript files at any depth, say) does not
 * re-include files below the top level (https://github.com/docker/cli/issues/2919).
 */
export const IMAGE_CONTEXT_PATHS: readonly string[] = ["package.json", "package-lock.json", "tsconfig.json", "dump", "export", "shared", "verify"];

/**
 * Files under the context paths that never reach the image (.dockerignore patterns; EXCLUDED is
 * their test): tests, installed packages, and the library's compiled copy of a shared module
 * (bin/lambdas/shared/*.js, *.d.ts), which is not a source.
 */
export const IMAGE_CONTEXT_EXCLUDED: readonly string[] = ["**/*.test.ts", "**/*.d.ts", "**/*.js", "**/node_modules"];
const EXCLUDED = /(\.test\.ts$|\.d\.ts$|\.js$|(^|\/)node_modules(\/|$))/;

/** Bounds of the context walk: the functions' sources are a few hundred files. */
const MAX_CONTEXT_FILES = 10_000;
const MAX_DEPTH = 20;

export type ImagePlatform = "linux/amd64" | "linux/arm64";

/** Lambda's name for the platform's CPU architecture. */
export function lambdaArchitecture(platform: ImagePlatform): "x86_64" | "arm64" {
    return platform === "linux/arm64" ? "arm64" : "x86_64";
}


/** The files of a functions package that the image is built from, as sorted relative paths. */
export function imageContextFiles(root: string): string[] {
    const files: string[] = [];
    const visit = (rel: string, depth: number): void => {
        if (depth > MAX_DEPTH) throw new RangeError(`${rel}: nested deeper than ${MAX_DEPTH} directories`);
        if (EXCLUDED.test(rel)) return;
        const abs = path.join(root, rel);
        const stat = fs.statSync(abs);
        if (stat.isDirectory()) {
            for (const entry of fs.readdirSync(abs).sort()) visit(path.posix.join(rel, entry), depth + 1);
        } else if (stat.isFile()) {
            if (files.length >= MAX_CONTEXT_FILES) throw new RangeError(`${root}: more than ${MAX_CONTEXT_FILES} files in the image context`);
            files.push(rel);
        }
    };
    for (const rel of [...IMAGE_CONTEXT_PATHS, DOCKERFILE]) {
        if (!fs.existsSync(path.join(root, rel))) {
            throw new RangeError(`contextPath: "${root}" has no ${rel}; expected the functions package (lambdas/, or the library's own copy of it)`);
        }
    }
    for (const rel of IMAGE_CONTEXT_PATHS) visit(rel, 0);
    return files.sort();
}

/**
 * SHA-256 over the build context's files (sorted relative paths and contents), the Dockerfile
 * and the build arguments: the same sources and arguments give the same digest on any machine.
 */
export function contextDigest(root: string, buildArgs: Readonly<Record<string, string>>): string {
    const hash = crypto.createHash("sha256");
    for (const rel of [...imageContextFiles(root), DOCKERFILE]) {
        hash.update(rel).update("\0").update(fs.readFileSync(path.join(root, rel))).update("\0");
    }
    hash.update(JSON.stringify(Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))));
    return hash.digest("hex");
}

/** `pg15-x86_64-<16 hex>`: readable, and unique per content, as an immutable repository needs. */
export function imageTag(pgMajor: number, platform: ImagePlatform, digest: string): string {
    if (!/^[0-9a-f]{16,}$/.test(digest)) throw new RangeError(`digest: "${digest}" is not a hex digest`);
    return `pg${pgMajor}-${lambdaArchitecture(platform)}-${digest.slice(0, 16)}`;
}

/**
 * Environment variable that turns off BuildKit's default attestations (Docker docs, "Build
 * attestations": https://docs.docker.com/build/metadata/attestations/ - provenance is added by
 * default and is turned off with `--provenance=false` or BUILDX_NO_DEFAULT_ATTESTATIONS).
 */
export const NO_DEFAULT_ATTESTATIONS = "BUILDX_NO_DEFAULT_ATTESTATIONS";

/** The values Go's strconv.ParseBool, which buildx reads the variable with, takes for true. */
const GO_TRUE = ["1", "t", "T", "TRUE", "true", "True"];

/**
 * Problems with the environment an image build runs in. Lambda runs an image whose tag names a
 * single image manifest ("Docker image manifest V2, schema 2" or an OCI image manifest: AWS Lambda
 * Developer Guide, "Create a Lambda function using a container image", requirements,
 * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html). A builder that stores
 * attestations (docker-container driver, containerd image store) adds a provenance attestation by
 * default, and the pushed tag becomes an image index that Lambda refuses. The docker-build provider
 * has no input for attestations, so the build's environment must turn them off.
 */
export function imageBuildEnvironmentProblems(env: Readonly<Record<string, string | undefined>>): string[] {
    const value = env[NO_DEFAULT_ATTESTATIONS];
    if (value !== undefined && GO_TRUE.includes(value)) return [];
    return [
        `${NO_DEFAULT_ATTESTATIONS}: ${value === undefined ? "(unset)" : JSON.stringify(value)} must be 1 where \`pulumi up\` runs: ` +
            "without it a builder that stores attestations pushes an image index, which Lambda refuses (expected a single-platform image manifest)",
    ];
}
