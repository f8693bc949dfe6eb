import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ROOT } from "../helpers/stackFiles";

/**
 * The file Pulumi's Node.js language host runs for this project. Per the Pulumi project file
 * reference (https://www.pulumi.com/docs/iac/concepts/projects/project-file/, "About main"):
 * `main` in Pulumi.yaml may name a directory (the program is loaded from there) or a `.ts`/`.js`
 * file (the entry point itself), and takes the place of package.json's `main`; without it the
 * program directory is the one holding Pulumi.yaml, and Node loads that directory as a module:
 * package.json's `main` when present, else `index`.
 */
function resolveEntryPoint(projectDir: string): string {
    const project = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { main?: unknown };
    const named = typeof project.main === "string" ? path.resolve(projectDir, project.main) : projectDir;
    if (fs.existsSync(named) && fs.statSync(named).isFile()) return named;
    const pkgFile = path.join(named, "package.json");
    const pkgMain = fs.existsSync(pkgFile) ? (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { main?: unknown }).main : undefined;
    if (typeof pkgMain === "string") return path.resolve(named, pkgMain);
    const index = ["index.ts", "index.js"].map((f) => path.join(named, f)).find((f) => fs.existsSync(f));
    assert.ok(index, `no entry point in ${named}`);
    return index;
}

describe("the Pulumi program's entry point", () => {
    it("is the root index.ts, whatever package.json's main names", () => {
        // given the project as shipped (the component library, with its own main, is the workspace components/)
        // when the Node.js language host resolves the program
        const entry = resolveEntryPoint(ROOT);
        // then it runs the program, not the library index, which declares nothing
        assert.strictEqual(path.relative(ROOT, entry), "index.ts");
    });
});
