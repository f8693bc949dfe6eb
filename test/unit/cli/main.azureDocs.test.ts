import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseListArgs } from "../../../cli/list";
import { parsePitrArgs } from "../../../cli/pitr/args";
import { parseRestoreArgs } from "../../../cli/restore";
import { ROOT } from "../../helpers/stackFiles";

/** A value for each placeholder docs/azure.md uses in its commands, as a reader would fill it in. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
    "subscription-id": "00000000-0000-0000-0000-000000000000",
    rg: "blog-rg",
    server: "blog-db",
    "new-server": "blog-db-restored",
    "iso-time": "2026-11-21T12:00:00Z",
    account: "blogbackups",
    user: "pgadmin",
    host: "blog-db-restored.postgres.database.azure.com",
    "new-database": "blog_restored",
};

/** Each `npm run cli -- <command> ...` of the page, split into the command and its arguments, placeholders filled. */
function documentedCommands(page: string): { readonly line: string; readonly command: string; readonly args: string[] }[] {
    return [...page.matchAll(/npm run cli -- ([^\n`]+)/g)].map((m) => {
        const line = m[1]!.trim();
        const filled = line.replace(/<([a-z-]+)>/g, (whole, name: string) => {
            const value = PLACEHOLDERS[name];
            if (value === undefined) throw new Error(`docs/azure.md: placeholder ${whole} has no sample value in this test (${line})`);
            return value;
        });
        const [command = "", ...args] = filled.split(/\s+/);
        return { line, command, args };
    });
}

const PARSERS: Readonly<Record<string, (args: readonly string[]) => unknown>> = {
    list: (args) => parseListArgs(args),
    restore: (args) => parseRestoreArgs(args, {}),
    pitr: (args) => parsePitrArgs(args, {}),
};

describe("the commands docs/azure.md shows", () => {
    const page = fs.readFileSync(path.join(ROOT, "docs", "azure.md"), "utf8");

    it("restores from Blob, lists and restores to a point in time with npm run cli", () => {
        const commands = documentedCommands(page).map((c) => c.command);
        for (const needed of ["list", "restore", "pitr"]) assert.ok(commands.includes(needed), `docs/azure.md shows no "npm run cli -- ${needed}"`);
        assert.doesNotMatch(page, /npm run pitr\b/, "there is no npm script named pitr");
    });

    it("every npm run cli command is accepted by that command's own argument parser, as written", () => {
        for (const { line, command, args } of documentedCommands(page)) {
            const parse = PARSERS[command];
            assert.ok(parse !== undefined, `docs/azure.md: "${command}" is not a command this test knows (${line})`);
            assert.doesNotThrow(() => assert.ok(parse(args) !== undefined, "parsed as --help"), `docs/azure.md: npm run cli -- ${line}`);
        }
    });

    it("the Blob restore reads from Azure: --cloud azure with the account's blob endpoint and the backups container", () => {
        const restore = documentedCommands(page).find((c) => c.command === "restore");
        const parsed = parseRestoreArgs(restore?.args ?? [], {});
        assert.strictEqual(parsed?.blobEndpoint, `https://${PLACEHOLDERS["account"]}.blob.core.windows.net`);
        assert.strictEqual(parsed?.bucket, "backups");
        assert.strictEqual(parsed?.database, PLACEHOLDERS["server"]);
    });
});
