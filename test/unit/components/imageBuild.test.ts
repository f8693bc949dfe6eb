import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { imageBuildPlan } from "../../../components/imageBuild";

/** A functions package with the files the digest covers, and one file it skips. */
function context(lambdaSource: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-build-"));
    const files: Record<string, string> = {
        "package.json": "{}", "package-lock.json": "{}", "tsconfig.json": "{}",
        "Dockerfile": "FROM scratch\n", "dump/handler.ts": lambdaSource, "dump/handler.test.ts": "ignored",
        "export/handler.ts": "", "shared/env.ts": "", "verify/handler.ts": "",
    };
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

describe("image build plan (any registry)", () => {
    const input = { pgMajor: 16, platform: "linux/amd64" as const, buildOnPreview: false };

    it("tags by content: the same sources give the same tag, changed sources a new one", () => {
        // given two contexts that differ in one handler, and a copy of the first
        const a = imageBuildPlan({ ...input, contextPath: context("export const v = 1;") });
        const again = imageBuildPlan({ ...input, contextPath: context("export const v = 1;") });
        const b = imageBuildPlan({ ...input, contextPath: context("export const v = 2;") });
        // then the tag follows the content and names the client and architecture
        assert.equal(a.tag, again.tag);
        assert.notEqual(a.tag, b.tag);
        assert.match(a.tag, /^pg16-x86_64-[0-9a-f]{16}$/);
        assert.deepEqual(a.buildArgs, { PG_MAJOR: "16" });
    });

    it("the client major is a build argument and part of the tag", () => {
        const dir = context("export const v = 1;");
        const p15 = imageBuildPlan({ ...input, pgMajor: 15, contextPath: dir });
        const p16 = imageBuildPlan({ ...input, contextPath: dir });
        assert.notEqual(p15.tag.slice(-16), p16.tag.slice(-16));
        assert.deepEqual(p15.buildArgs, { PG_MAJOR: "15" });
    });

    it("keeps an explicit tag", () => {
        assert.equal(imageBuildPlan({ ...input, contextPath: "/nonexistent", tag: "release-1" }).tag, "release-1");
    });
});
