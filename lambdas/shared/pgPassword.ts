/**
 * The password for a connection given by URL without one, found the way libpq finds it:
 * PGPASSWORD, else the password file (PGPASSFILE, else ~/.pgpass). Operators then keep the
 * password out of the URL, and so out of `ps` and shell history.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { PgTarget } from "./pgTarget";

/** Where a password came from, for a line of output (never the password itself). */
export type PasswordSource = "url" | "PGPASSWORD" | "password file" | "none";

export interface ResolvedPassword {
    readonly target: PgTarget;
    readonly source: PasswordSource;
    /** The password file consulted, when one was. */
    readonly passfile?: string;
}

/**
 * `target` with the password libpq would use: the URL's own, else PGPASSWORD (when not empty),
 * else the first matching line of the password file. A password file readable by group or others
 * is skipped, as libpq skips it, and `warn` says so.
 */
export function withPasswordFromEnv(target: PgTarget, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = () => undefined): ResolvedPassword {
    if (target.password !== undefined) {
        return { target, source: "url" };
    }
    if (env.PGPASSWORD !== undefined && env.PGPASSWORD !== "") {
        return { target: { ...target, password: env.PGPASSWORD }, source: "PGPASSWORD" };
    }
    const passfile = env.PGPASSFILE !== undefined && env.PGPASSFILE !== "" ? env.PGPASSFILE : join(env.HOME ?? homedir(), ".pgpass");
    let text: string;
    try {
        const mode = statSync(passfile).mode;
        if ((mode & 0o077) !== 0) {
            warn(`password file ${passfile} has group or world access (mode ${(mode & 0o777).toString(8)}); ignored, as libpq ignores it (chmod 0600 ${passfile})`);
            return { target, source: "none", passfile };
        }
        text = readFileSync(passfile, "utf8");
    } catch {
        return { target, source: "none" };
    }
    const password = passwordFromPassfile(text, target);
    return password === undefined ? { target, source: "none", passfile } : { target: { ...target, password }, source: "password file", passfile };
}

/**
 * The password of the first line of a libpq password file (`host:port:database:user:password`,
 * `*` matching anything, `\:` and `\\` escaped) that matches `target`. A socket directory matches
 * `localhost`, as in libpq.
 */
export function passwordFromPassfile(text: string, target: PgTarget): string | undefined {
    const host = target.host.startsWith("/") ? "localhost" : target.host;
    const wanted = [host, String(target.port), target.database, target.user];
    for (const line of text.split(/\r?\n/)) {
        if (line.trim() === "" || line.startsWith("#")) {
            continue;
        }
        const fields = splitPassfileLine(line);
        const password = fields[4];
        if (password !== undefined && wanted.every((value, i) => fields[i] === "*" || fields[i] === value)) {
            return password;
        }
    }
    return undefined;
}

function splitPassfileLine(line: string): string[] {
    const fields: string[] = [];
    let current = "";
    for (let i = 0; i < line.length; i++) {
        const c = line[i] as string;
        if (c === "\\" && i + 1 < line.length) {
            current += line[++i];
        } else if (c === ":" && fields.length < 4) {
            fields.push(current);
            current = "";
        } else {
            current += c;
        }
    }
    fields.push(current);
    return fields;
}
