import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { generatedPages, main } from "../../../cli/docs";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("generated reference pages", () => {
    it("are what the generator produces from the code now", () => {
        // given the pages the generator would write
        const pages = generatedPages();
        // when compared with the committed files
        // then each one is identical
        for (const [relative, content] of Object.entries(pages)) {
            const file = path.join(ROOT, relative);
            const committed = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
            assert.ok(committed === content, `generated page is stale: run npm run docs (${relative})`);
        }
    });

    it("include the component reference", () => {
        assert.ok(Object.keys(generatedPages()).includes("docs/component-reference.md"));
    });

    it("npm run docs fails, writing nothing, while a key or an Args property lacks its JSDoc", async () => {
        // given a check that finds a component's property without a summary
        const pages = Object.keys(generatedPages()).map((relative) => path.join(ROOT, relative));
        const before = pages.map((p) => fs.statSync(p).mtimeMs);
        const errors: string[] = [];
        const error = console.error;
        console.error = (line: string) => errors.push(line);
        let code: number;
        try {
            // when the generator runs
            code = await main([], () => ["BackupKey (BackupKeyArgs.aliasName): no JSDoc summary"]);
        } finally {
            console.error = error;
        }
        // then it fails naming the component and the property, and leaves every page as it was
        assert.equal(code, 1);
        assert.match(errors.join("\n"), /BackupKey \(BackupKeyArgs\.aliasName\): no JSDoc summary/);
        assert.deepEqual(pages.map((p) => fs.statSync(p).mtimeMs), before);
    });

    it("are the same on every run", () => {
        assert.deepEqual(generatedPages(), generatedPages());
    });
});
