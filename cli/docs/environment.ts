/**
 * docs/functions-environment.md, from the functions' environment catalogs (DUMP_ENV,
 * EXPORT_ENV, VERIFY_ENV and the shared records they spread).
 */
import { DUMP_ENV } from "../../lambdas/dump/config";
import { EXPORT_ENV } from "../../lambdas/export/config";
import { CONNECTION_ENV } from "../../lambdas/shared/connectionEnv";
import { S3_ENV } from "../../lambdas/shared/awsClients";
import { VERIFY_ENV } from "../../lambdas/verify/config";
import { GENERATED_NOTE, cell } from "./jsdoc";

function envTable(catalog: Readonly<Record<string, string>>, shared: ReadonlyArray<{ readonly name: string; readonly catalog: Readonly<Record<string, string>> }>): string[] {
    const lines = ["| Variable | Meaning and default |", "| --- | --- |"];
    for (const [name, meaning] of Object.entries(catalog)) {
        const from = shared.find((s) => s.catalog[name] === meaning);
        lines.push(`| \`${name}\` | ${cell(meaning)}${from === undefined ? "" : ` (shared: ${from.name})`} |`);
    }
    return lines;
}

export function functionsEnvironmentPage(): string {
    const shared = [
        { name: "`CONNECTION_ENV`", catalog: CONNECTION_ENV },
        { name: "`S3_ENV`", catalog: S3_ENV },
    ];
    const lines = [
        "# Functions: environment variables",
        "",
        GENERATED_NOTE(["lambdas/dump/config.ts", "lambdas/export/config.ts", "lambdas/shared/connectionEnv.ts", "lambdas/shared/awsClients.ts", "lambdas/shared/azureIdentity.ts", "lambdas/verify/config.ts"]),
        "",
        "The functions read their configuration from environment variables once, at cold start, and fail",
        "fast with the variable's name. The infrastructure code sets them from the stack file (see",
        "[configuration.md](configuration.md)); the tables below are the catalogs the code itself uses.",
        "Variables marked *shared* come from the connection (`CONNECTION_ENV`) and S3 (`S3_ENV`) catalogs",
        "in `lambdas/shared`, which the dump and export functions spread into their own.",
        "",
        "## Dump (`lambdas/dump`, `DUMP_ENV`)",
        "",
        ...envTable(DUMP_ENV, shared),
        "",
        "## Export (`lambdas/export`, `EXPORT_ENV`)",
        "",
        ...envTable(EXPORT_ENV, shared),
        "",
        "## Verify (`lambdas/verify`, `VERIFY_ENV`)",
        "",
        ...envTable(VERIFY_ENV, shared),
        "",
    ];
    return lines.join("\n");
}
