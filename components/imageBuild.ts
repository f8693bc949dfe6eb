import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import { DOCKERFILE, type ImagePlatform, contextDigest, imageTag } from "./imageContext";

/** Where and how the functions' image is built, whatever registry it goes to. */
export interface ImageBuildInput {
    /** The functions package (lambdas/): build context of its Dockerfile. */
    readonly contextPath: string;
    readonly pgMajor: number;
    readonly platform: ImagePlatform;
    /** Build during `pulumi preview` too. */
    readonly buildOnPreview: boolean;
    /** An explicit tag; omitted: derived from the context's content and the build arguments. */
    readonly tag?: string;
}

/** The build arguments and the tag of an image build, the same for every registry. */
export function imageBuildPlan(input: ImageBuildInput): { readonly buildArgs: Readonly<Record<string, string>>; readonly tag: string } {
    const buildArgs = { PG_MAJOR: String(input.pgMajor) };
    return { buildArgs, tag: input.tag ?? imageTag(input.pgMajor, input.platform, contextDigest(input.contextPath, buildArgs)) };
}

/**
 * The functions' image built from the functions package's Dockerfile and pushed to `<repository>:<tag>`, for any
 * registry: the caller gives the repository; the push uses the Docker login of the machine that runs
 * `pulumi up` (for Azure Container Registry, `az acr login --name <registry>` with AcrPush), so no
 * registry password exists in the program or its state.
 */
export function pushedImage(
    name: string,
    input: ImageBuildInput & { readonly repository: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): { readonly image: dockerBuild.Image; readonly tag: string } {
    const { buildArgs, tag } = imageBuildPlan(input);
    const image = new dockerBuild.Image(name, {
        context: { location: input.contextPath },
        dockerfile: { location: path.join(input.contextPath, DOCKERFILE) },
        platforms: [input.platform],
        buildArgs,
        tags: [pulumi.interpolate`${input.repository}:${tag}`],
        push: true,
        buildOnPreview: input.buildOnPreview,
    }, opts);
    return { image, tag };
}
