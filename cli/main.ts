#!/usr/bin/env node
/**
 * pg-backup-stack command-line tool. Each command lives in its own module that exports
 * `main(args): Promise<number>` (the exit code), loaded only when asked for, so that
 * `validate` does not pay for the AWS SDK and `drill` does not pay for Pulumi.
 */
const COMMANDS: Readonly<Record<string, { readonly module: string; readonly summary: string }>> = {
    validate: { module: "./validate", summary: "check a stack file and print what it guarantees" },
    drill: { module: "./drill", summary: "dump -> export -> verify -> restore end to end, locally or against given endpoints" },
    backup: { module: "./backup", summary: "take an on-demand backup now: invoke the stack's dump function, or dump a given database here" },
    list: { module: "./list", summary: "list the backups of a database, newest first" },
    restore: { module: "./restore", summary: "restore a backup into a new database" },
    pitr: { module: "./pitr", summary: "start a point-in-time restore of an RDS instance or Azure Flexible Server" },
    report: { module: "./report", summary: "write the audit report for a stack" },
    bench: { module: "./bench", summary: "measure the dump pipeline against pg_dump alone and the plain gzip pipeline" },
};

function usage(): string {
    const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
    return ["usage: pg-backup-stack <command> [options]", "", "commands:", ...lines].join("\n");
}

async function run(argv: readonly string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
        console.log(usage());
        return command === undefined ? 2 : 0;
    }
    const entry = COMMANDS[command];
    if (entry === undefined) {
        console.error(`unknown command "${redactText(command)}"; expected one of: ${Object.keys(COMMANDS).join(", ")}`);
        return 2;
    }
    const mod = (await import(entry.module)) as { main(args: readonly string[]): Promise<number> };
    return mod.main(rest);
}

import { redactedMessage, redactText } from "../lambdas/shared/redact";

run(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        console.error(redactedMessage(err));
        process.exitCode = 1;
    },
);
