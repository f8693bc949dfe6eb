import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { configurationRows, functionsEnvironmentPage, generatedPages, jsDocProblems, main, tagStates } from "../../../cli/docs";
import { VERIFY_ENV } from "../../../lambdas/verify/config";

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

    it("every key of the schema has its own JSDoc, and a @default tag stating the schema's default where it has one", () => {
        assert.deepEqual(jsDocProblems(), []);
    });

    it("a @default tag states the default as a value, or in words that name it", () => {
        // given tags as written in aws-cdk's style
        const cases: [string, unknown, boolean][] = [
            ["30", 30, true],
            ['"gzip"', "gzip", true],
            ["{} - every key takes its default", {}, true],
            ["- 512 for dump and export, 10240 for verify", 512, true],
            ["- 512 for dump and export, 10240 for verify", 10240, true],
            ["300", 30, false],
            ["gzip", "gzip", false],
            ["- 5120 for verify", 512, false],
            ["- 1.5 times", 1, false],
            ["true", false, false],
        ];
        // then each is judged against the schema's value
        for (const [tag, value, states] of cases) assert.equal(tagStates(tag, value), states, `@default ${tag} for ${JSON.stringify(value)}`);
    });

    it("npm run docs fails, writing nothing, while a key lacks its JSDoc", async () => {
        // given a check that finds a key without JSDoc
        const page = path.join(ROOT, "docs", "configuration.md");
        const before = fs.statSync(page).mtimeMs;
        const errors: string[] = [];
        const error = console.error;
        console.error = (line: string) => errors.push(line);
        let code: number;
        try {
            // when the generator runs
            code = await main([], () => ["storage.prefix: no JSDoc comment of its own"]);
        } finally {
            console.error = error;
        }
        // then it fails naming the key, and leaves the pages as they were
        assert.equal(code, 1);
        assert.match(errors.join("\n"), /storage\.prefix: no JSDoc comment of its own/);
        assert.equal(fs.statSync(page).mtimeMs, before);
    });

    it("are the same on every run", () => {
        assert.deepEqual(generatedPages(), generatedPages());
    });

    it("list nested keys with their defaults, ranges and source comments", () => {
        // given the configuration reference's rows
        const rows = new Map(configurationRows().map((r) => [r.key, r]));
        // then a key inside a list of objects has its range, default and JSDoc
        const retention = rows.get("aws.databases[].instance.backupRetentionDays");
        assert.ok(retention !== undefined);
        assert.equal(retention.type, "integer 0..35");
        assert.equal(retention.presence, "`7`");
        assert.match(retention.description, /automated backups/);
        // and a required key without a default says so
        assert.equal(rows.get("retention.daily.keepDays")?.presence, "**required**");
        // and a union of literals lists the values
        assert.match(rows.get("functions.logRetentionDays")?.type ?? "", /^one of 1, 3, 5, /);
    });

    it("give the verify function's variables a table from its catalog", () => {
        // given the functions' environment page
        const page = functionsEnvironmentPage();
        // when its verify section is read
        const section = page.slice(page.indexOf("## Verify"));
        // then every variable of VERIFY_ENV has a row with its meaning
        for (const [name, meaning] of Object.entries(VERIFY_ENV)) {
            assert.ok(section.includes(`| \`${name}\` | ${meaning.replace(/\|/g, "\\|")} |`), name);
        }
    });
});

/** Relative link targets of a Markdown text, outside code blocks and code spans, without their anchor. */
function relativeLinks(markdown: string): string[] {
    const text = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
    const targets: string[] = [];
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
        targets.push(decodeURI(target.split("#")[0]!));
    }
    return targets;
}

describe("documentation links", () => {
    const pages = [
        "README.md",
        ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f)),
    ];

    it("finds links in the pages it checks", () => {
        assert.ok(relativeLinks(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).length > 0);
    });

    for (const page of pages) {
        it(`${page}: every relative link points at an existing file`, () => {
            const dir = path.dirname(path.join(ROOT, page));
            const missing = relativeLinks(fs.readFileSync(path.join(ROOT, page), "utf8")).filter((t) => !fs.existsSync(path.resolve(dir, t)));
            assert.deepEqual(missing, [], `${page} links to missing files`);
        });
    }
});
