import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as library from "../../../../components";
import { ComponentDoc, componentJsDocProblems, componentReferencePage, components, defaultCell } from "../../../../cli/docs/components";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");

/** A component as the generator reads it, with the Args properties given. */
function doc(args: ComponentDoc["args"]): ComponentDoc {
    return { name: "Thing", cloud: "AWS", file: "components/aws/thing.ts", token: "pg-backup-stack:aws:Thing", summary: "A thing.", argsInterface: "ThingArgs", args, outputs: [] };
}

describe("component reference", () => {
    it("covers every component class the library exports, with the type token its constructor registers", () => {
        // given the classes of the library's public surface that extend pulumi.ComponentResource
        const exported = Object.entries(library)
            .filter(([, value]) => typeof value === "function" && value.prototype instanceof pulumi.ComponentResource)
            .map(([name]) => name)
            .sort();
        // when the generator reads the sources
        const docs = components();
        // then it documents exactly those, each under its own token
        assert.deepEqual(docs.map((c) => c.name).sort(), exported);
        for (const c of docs) assert.equal(c.token, `pg-backup-stack:${c.cloud.toLowerCase()}:${c.name}`, c.name);
    });

    it("reads an Args interface with the properties it inherits, and the class's readonly outputs", () => {
        // given BackupFunctionArgs, which extends ScheduledWorkArgs
        const fn = components().find((c) => c.name === "BackupFunction");
        assert.ok(fn !== undefined);
        const args = new Map(fn.args.map((a) => [a.name, a]));
        // then the inherited and the own properties are there, typed as written, with their JSDoc
        assert.deepEqual({ ...args.get("scheduleTimezone") }, { name: "scheduleTimezone", type: "string", required: false, summary: "Time zone of a cron expression.", defaultTag: '"UTC"' });
        assert.equal(args.get("memoryMb")?.defaultTag, "1024");
        assert.equal(args.get("kind")?.required, true);
        // and the outputs are the public readonly properties, private state left out
        const key = components().find((c) => c.name === "BackupKey");
        assert.deepEqual(key?.outputs.map((o) => o.name), ["key", "keyArn", "keyId", "aliasName", "replicaKey", "replicaKeyArn"]);
        assert.match(key?.outputs.find((o) => o.name === "aliasName")?.summary ?? "", /alias\/<aliasName>/);
    });

    it("every Args property has a JSDoc summary, and every optional one a @default tag", () => {
        assert.deepEqual(componentJsDocProblems(), []);
    });

    it("names the component and the property without a summary or, when optional, without a @default tag", () => {
        // given a required property without a summary, an optional one without @default, and a complete one
        const problems = componentJsDocProblems([
            doc([
                { name: "bare", type: "string", required: true, summary: "" },
                { name: "loose", type: "number", required: false, summary: "Days kept." },
                { name: "fine", type: "number", required: false, summary: "Days kept.", defaultTag: "30" },
                { name: "needed", type: "string", required: true, summary: "The ARN." },
            ]),
        ]);
        // then exactly the two falling short are reported, by component and property
        assert.deepEqual(problems, ["Thing (ThingArgs.bare): no JSDoc summary", "Thing (ThingArgs.loose): optional, without a @default tag"]);
    });

    it("shows a literal default as code and a default in words as text", () => {
        assert.equal(defaultCell("30"), "`30`");
        assert.equal(defaultCell('["s3"]'), '`["s3"]`');
        assert.equal(defaultCell("none - no copy"), "none - no copy");
        assert.equal(defaultCell("true when `production`, false otherwise"), "true when `production`, false otherwise");
        assert.equal(defaultCell("the component name <name>"), "the component name &lt;name>");
    });

    it("is linked from docs/components.md for every component, at a heading the reference has", () => {
        // given the hand-written page and the generated one
        const narrative = fs.readFileSync(path.join(ROOT, "docs", "components.md"), "utf8");
        const page = componentReferencePage();
        for (const c of components()) {
            // then the narrative links to the component's anchor, and the reference has that heading
            const anchor = c.name.toLowerCase();
            assert.ok(narrative.includes(`(component-reference.md#${anchor})`), `docs/components.md does not link to ${c.name}'s reference`);
            assert.ok(page.includes(`\n### ${c.name}\n`), c.name);
        }
        // and the narrative no longer repeats the arguments tables
        assert.doesNotMatch(narrative, /^\| argument \|/im);
    });
});
