import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import { awsContext, regionOf } from "./context";
import { imageLifecyclePolicy, imageRepositoryPolicy } from "./documents/functionPolicies";
import {
    FUNCTIONS_PACKAGE_DIR, DOCKERFILE, type ImagePlatform, contextDigest, imageTag, lambdaArchitecture,
} from "../imageContext";

export {
    FUNCTIONS_PACKAGE_DIR, DOCKERFILE, IMAGE_CONTEXT_PATHS, IMAGE_CONTEXT_EXCLUDED, imageContextFiles, contextDigest, imageTag, NO_DEFAULT_ATTESTATIONS, imageBuildEnvironmentProblems, lambdaArchitecture,
} from "../imageContext";
export type { ImagePlatform } from "../imageContext";

export interface FunctionImageArgs {
    /** ARN of the KMS key the repository encrypts images with (the backup CMK). Required. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /**
     * Major version of the PostgreSQL client in the image, 15..17; at least every server's major.
     * @default 15
     */
    readonly pgMajor?: number;
    /**
     * Image platform; the functions run on the matching architecture.
     * @default "linux/amd64"
     */
    readonly platform?: ImagePlatform;
    /**
     * Images the repository keeps; older ones expire.
     * @default 10
     */
    readonly keepImages?: number;
    /**
     * Build context holding the Dockerfile, package.json, package-lock.json and the functions' sources.
     * @default the library's own functions package (FUNCTIONS_PACKAGE_DIR)
     */
    readonly contextPath?: string;
    /**
     * Image tag (the repository's tags are immutable).
     * @default derived from the context's content and the build arguments
     */
    readonly tag?: string;
    /**
     * Build during `pulumi preview` too (needs Docker wherever previews run).
     * @default false
     */
    readonly buildOnPreview?: boolean;
    /**
     * Let `pulumi destroy` delete the repository with its images.
     * @default false
     */
    readonly forceDelete?: boolean;
    /**
     * Tags of the repository.
     * @default {}
     */
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
    /** URL of the ECR repository. */
    public readonly repositoryUrl: pulumi.Output<string>;
    /** ARN of the ECR repository. */
    public readonly repositoryArn: pulumi.Output<string>;
    /** Name of the ECR repository. */
    public readonly repositoryName: pulumi.Output<string>;
    /** `<repository>@sha256:...`: what the functions run, pinned by digest. */
    public readonly imageUri: pulumi.Output<string>;
    /** Tag of the image (the `tag` argument, or the one derived from the context). */
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
