import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import { awsContext, regionOf } from "./context";
import { imageLifecyclePolicy, imageRepositoryPolicy } from "./documents/functionPolicies";

/**
 * The functions package (lambdas/): the image's build context, holding its Dockerfile, package.json
 * and package-lock.json. Resolved from this module's own location, never from the working
 * directory, so that it is found wherever the library runs: in the repository this module is
 * components/aws/functionImage.ts and the package is ../../lambdas; in the installed library it is
 * bin/components/aws/functionImage.js and the library ships the package's sources as bin/lambdas.
 */
export const FUNCTIONS_PACKAGE_DIR = path.resolve(__dirname, "..", "..", "lambdas");

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

export interface FunctionImageArgs {
    /** ARN of the KMS key the repository encrypts images with (the backup CMK). Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** @default 15 - major version of the PostgreSQL client in the image, 15..17; at least every server's major */
    readonly pgMajor?: number;
    /** @default "linux/amd64" - image platform; the functions run on the matching architecture */
    readonly platform?: ImagePlatform;
    /** @default 10 - images the repository keeps; older ones expire */
    readonly keepImages?: number;
    /** @default the library's own functions package (FUNCTIONS_PACKAGE_DIR) - build context holding the Dockerfile, package.json, package-lock.json and the functions' sources */
    readonly contextPath?: string;
    /** @default derived from the context's content and the build arguments - image tag (the repository's tags are immutable) */
    readonly tag?: string;
    /** @default false - build during `pulumi preview` too (needs Docker wherever previews run) */
    readonly buildOnPreview?: boolean;
    /** @default false - let `pulumi destroy` delete the repository with its images */
    readonly forceDelete?: boolean;
    /** @default {} - tags of the repository */
    readonly tags?: Readonly<Record<string, string>>;
}

type Resolved = Required<Omit<FunctionImageArgs, "tag">> & Pick<FunctionImageArgs, "tag">;

const DEFAULTS = {
    pgMajor: 15,
    platform: "linux/amd64" as ImagePlatform,
    keepImages: 10,
    buildOnPreview: false,
    forceDelete: false,
    tags: {} as Readonly<Record<string, string>>,
};

function withDefaults(args: FunctionImageArgs): Resolved {
    return {
        ...args,
        pgMajor: args.pgMajor ?? DEFAULTS.pgMajor,
        platform: args.platform ?? DEFAULTS.platform,
        keepImages: args.keepImages ?? DEFAULTS.keepImages,
        contextPath: args.contextPath ?? FUNCTIONS_PACKAGE_DIR,
        buildOnPreview: args.buildOnPreview ?? DEFAULTS.buildOnPreview,
        forceDelete: args.forceDelete ?? DEFAULTS.forceDelete,
        tags: args.tags ?? DEFAULTS.tags,
    };
}

/**
 * The functions' container image: a private ECR repository (scan on push, immutable tags, KMS
 * encryption, a lifecycle keeping the last images, pulls by this account's Lambda functions
 * only) and the image built from the functions package's Dockerfile and pushed to it during `pulumi up`.
 */
export class FunctionImage extends pulumi.ComponentResource {
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly repositoryArn: pulumi.Output<string>;
    public readonly repositoryName: pulumi.Output<string>;
    /** `<repository>@sha256:...`: what the functions run, pinned by digest. */
    public readonly imageUri: pulumi.Output<string>;
    public readonly tag: string;
    /** The Lambda architecture matching the image's platform. */
    public readonly architecture: "x86_64" | "arm64";

    constructor(name: string, args: FunctionImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:aws:FunctionImage", name, {}, opts);
        const a = withDefaults(args);
        const buildArgs = { PG_MAJOR: String(a.pgMajor) };
        const tag = this.validate(a, buildArgs);
        const parent = { parent: this };
        const ctx = awsContext(this);
        const region = regionOf(this);

        const repository = new aws.ecr.Repository(`${name}-repo`, {
            imageScanningConfiguration: { scanOnPush: true },
            imageTagMutability: "IMMUTABLE",
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: a.kmsKeyArn }],
            forceDelete: a.forceDelete,
            tags: a.tags,
        }, parent);
        new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, {
            repository: repository.name,
            policy: imageLifecyclePolicy(a.keepImages),
        }, parent);
        new aws.ecr.RepositoryPolicy(`${name}-policy`, {
            repository: repository.name,
            policy: pulumi.all([ctx.partition, region, ctx.accountId]).apply(([partition, r, accountId]) =>
                JSON.stringify(imageRepositoryPolicy(partition, r, accountId))),
        }, parent);

        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, parent);
        const image = new dockerBuild.Image(`${name}-image`, {
            context: { location: a.contextPath },
            dockerfile: { location: path.join(a.contextPath, DOCKERFILE) },
            platforms: [a.platform],
            buildArgs,
            tags: [pulumi.interpolate`${repository.repositoryUrl}:${tag}`],
            push: true,
            buildOnPreview: a.buildOnPreview,
            registries: [{
                address: auth.proxyEndpoint.apply((endpoint) => endpoint.replace(/^https:\/\//, "")),
                username: auth.userName,
                password: pulumi.secret(auth.password),
            }],
        }, parent);

        this.repositoryUrl = repository.repositoryUrl;
        this.repositoryArn = repository.arn;
        this.repositoryName = repository.name;
        this.imageUri = pulumi.interpolate`${repository.repositoryUrl}@${image.digest}`;
        this.tag = tag;
        this.architecture = lambdaArchitecture(a.platform);
        this.registerOutputs({
            repositoryUrl: this.repositoryUrl,
            repositoryArn: this.repositoryArn,
            imageUri: this.imageUri,
            tag: this.tag,
            architecture: this.architecture,
        });
    }

    /** Checks every argument before anything is created; returns the image tag. */
    private validate(a: Resolved, buildArgs: Readonly<Record<string, string>>): string {
        const fail = (message: string): pulumi.ResourceError => new pulumi.ResourceError(message, this);
        if (!Number.isInteger(a.pgMajor) || a.pgMajor < 15 || a.pgMajor > 17) {
            throw fail(`pgMajor: ${a.pgMajor} is out of range 15..17 (the PostgreSQL clients Amazon Linux 2023 packages)`);
        }
        if (a.platform !== "linux/amd64" && a.platform !== "linux/arm64") {
            throw fail(`platform: "${String(a.platform)}" is not allowed; expected linux/amd64 or linux/arm64`);
        }
        if (!Number.isInteger(a.keepImages) || a.keepImages < 1 || a.keepImages > 1000) {
            throw fail(`keepImages: ${a.keepImages} is out of range 1..1000`);
        }
        let digest: string;
        try {
            digest = contextDigest(a.contextPath, buildArgs);
        } catch (err) {
            throw fail(err instanceof Error ? err.message : String(err));
        }
        if (a.tag !== undefined) {
            if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(a.tag) || a.tag === "latest") {
                throw fail(`tag: "${a.tag}" is not allowed; expected an image tag (letters, digits, "_", ".", "-", up to 128) other than "latest", unique per content`);
            }
            return a.tag;
        }
        return imageTag(a.pgMajor, a.platform, digest);
    }
}
