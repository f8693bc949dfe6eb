/**
 * What an archive says about its database itself. pg_dump writes a DATABASE entry (the CREATE
 * DATABASE with the source's encoding and locale) and a DATABASE PROPERTIES entry (its
 * `ALTER DATABASE ... SET` settings, connection limit) and the database's comment and privileges
 * into every custom and directory archive, but pg_restore runs them only with --create, which
 * restores under the source's own name. `pg_restore --create --file=- --use-list=<those entries>`
 * prints them and nothing else of the archive; this module reads that script, so a restore under
 * another name creates its database the same way and gives it the same properties.
 *
 * pg_dump's dumpDatabase() and dumpDatabaseConfig():
 * https://github.com/postgres/postgres/blob/master/src/bin/pg_dump/pg_dump.c
 * "the database's comment, configuration variable settings and access privileges are dumped only
 * with --create": https://www.postgresql.org/docs/current/app-pgdump.html
 */
import type { DatabaseLocale, LocaleProvider } from "./databaseLocale";

/** What a statement about the database does; each kind has its own rule in a restore. */
export type DatabaseStatementKind = "setting" | "roleSetting" | "owner" | "connectionLimit" | "comment" | "securityLabel" | "privilege" | "template";

/** One statement about the source database, split around its name so it can name another. */
export interface DatabaseStatement {
    readonly kind: DatabaseStatementKind;
    readonly before: string;
    readonly after: string;
}

export interface ArchivedDatabase {
    /** The source database's name as the archive quotes it. */
    readonly quotedName: string;
    readonly locale: DatabaseLocale;
    /** The source database's default tablespace, when not the server's (TABLESPACE = ...). */
    readonly tablespace?: string;
    /** Its settings, comment, connection limit, privileges and owner, in the script's order. */
    readonly statements: readonly DatabaseStatement[];
    /** Statements about the database that cannot be carried over, each with the reason. */
    readonly unreadable: readonly string[];
}

/** The statement naming `quotedName` instead (a name from quoteIdent). */
export function statementFor(statement: DatabaseStatement, quotedName: string): string {
    return `${statement.before}${quotedName}${statement.after}`;
}

/** The statement as shown in logs and results: a setting by its name only, since its value may be a secret. */
export function describeStatement(statement: DatabaseStatement, quotedName: string): string {
    const sql = statementFor(statement, quotedName);
    return statement.kind === "setting" || statement.kind === "roleSetting" ? hideValue(sql) : sql;
}

/** A setting's statement without its value. */
function hideValue(sql: string): string {
    return / SET /.test(sql) ? sql.replace(/ TO ('|[Ee]'|[A-Za-z0-9_]+$)[\s\S]*$/, " TO ...") : sql;
}

export class DatabaseScriptError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DatabaseScriptError";
    }
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const LITERAL = String.raw`(?:'(?:[^']|'')*'|[Ee]'(?:[^'\\]|\\.|'')*')`;
const CREATE = new RegExp(String.raw`^CREATE DATABASE (${IDENT}) WITH (.*)$`, "s");
const OPTION = new RegExp(String.raw`\s*([A-Z_]+) = (${LITERAL}|${IDENT}|-?[0-9]+)`, "y");
/** The clause pg_dump writes after SET: a name, TO, and one or more literals separated by commas. */
const SETTING = String.raw`${IDENT}(?:\.${IDENT})* TO ${LITERAL}(?:, ${LITERAL})*`;
/** Each statement pg_dump writes about a database (dumpDatabase, dumpDatabaseConfig, dumpACL), around the place of its name. */
const SHAPES: readonly (readonly [DatabaseStatementKind, string, string])[] = [
    ["setting", "ALTER DATABASE ", ` SET ${SETTING}`],
    ["roleSetting", `ALTER ROLE ${IDENT} IN DATABASE `, ` SET ${SETTING}`],
    ["owner", "ALTER DATABASE ", ` OWNER TO ${IDENT}`],
    ["connectionLimit", "ALTER DATABASE ", " CONNECTION LIMIT = -?[0-9]+"],
    ["template", "ALTER DATABASE ", " IS_TEMPLATE = (?:true|false)"],
    ["comment", "COMMENT ON DATABASE ", ` IS ${LITERAL}`],
    ["securityLabel", `SECURITY LABEL FOR ${IDENT} ON DATABASE `, ` IS ${LITERAL}`],
    ["privilege", "(?:GRANT|REVOKE) [A-Z]+(?:,[A-Z]+)* ON DATABASE ", ` (?:TO|FROM) ${IDENT}(?: WITH GRANT OPTION)?`],
];
/** What pg_restore starts every script and every reconnection with. */
const PREAMBLE = /^(?:SET |RESET |SELECT pg_catalog\.set_config\()/;
const NOT_ASCII = /[^\x00-\x7f]/;
const PROVIDER_NAMES: readonly LocaleProvider[] = ["libc", "icu", "builtin"];
/** Encodings a client may use but a database may not (https://www.postgresql.org/docs/current/multibyte.html), whose multibyte characters can hold ASCII bytes. */
const CLIENT_ONLY_ENCODINGS: readonly string[] = ["SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB"];
const CLIENT_ENCODING = /^SET client_encoding = '([A-Za-z0-9_]+)';$/m;

/**
 * The lines of `pg_restore --create --list` for the database's own entries: the database, its
 * properties, and its comment, privileges and security labels.
 */
export function databaseEntriesList(listing: string): string {
    return listing
        .split("\n")
        .filter((line) => /^[0-9]+; [0-9]+ [0-9]+ (?:DATABASE PROPERTIES|DATABASE) - /.test(line) || /^[0-9]+; [0-9]+ [0-9]+ (?:COMMENT|ACL|SECURITY LABEL) - DATABASE /.test(line))
        .map((line) => `${line}\n`)
        .join("");
}

/**
 * Reads the script pg_restore --create prints for the database's own entries; throws
 * DatabaseScriptError when it holds no CREATE DATABASE it can read. The script is in the
 * archive's client encoding: read as UTF-8 when that is UTF8, else byte for byte, and then only
 * its ASCII text is used (a statement with other characters is named, not carried over).
 */
export function parseDatabaseScript(bytes: Buffer): ArchivedDatabase {
    const encoding = CLIENT_ENCODING.exec(bytes.toString("latin1"))?.[1];
    const exact = encoding === "UTF8";
    const all = splitStatements(bytes.toString(exact ? "utf8" : "latin1"));
    const create = all.map((s) => CREATE.exec(s)).find((m) => m !== null);
    if (create === undefined || create === null) {
        throw new DatabaseScriptError("the archive's script has no CREATE DATABASE");
    }
    const quotedName = create[1] as string;
    if (!exact && NOT_ASCII.test(create[2] as string)) {
        throw new DatabaseScriptError(`CREATE DATABASE holds characters outside ASCII in the archive's ${encoding ?? "unknown"} encoding: ${JSON.stringify(create[2])}`);
    }
    const options = createOptions(create[2] as string);
    const locale = localeOfOptions(options);
    const tablespace = options.get("TABLESPACE");
    const name = quotedName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const shapes = SHAPES.map(([kind, before, after]) => [kind, new RegExp(`^(${before})${name}(${after})$`, "s")] as const);
    const statements: DatabaseStatement[] = [];
    const unreadable: string[] = [];
    if (encoding !== undefined && CLIENT_ONLY_ENCODINGS.includes(encoding)) {
        // A second byte of these can be a quote or a backslash: read byte for byte, statements would not split where they end.
        unreadable.push(`the database's properties: the archive is in ${encoding}, a client-only encoding whose text cannot be split into statements here; none carried over`);
        return { quotedName, locale, ...(tablespace === undefined ? {} : { tablespace }), statements, unreadable };
    }
    for (const statement of all) {
        if (PREAMBLE.test(statement) || CREATE.test(statement)) {
            continue;
        }
        const shown = hideValue(statement.length > 300 ? `${statement.slice(0, 300)}...` : statement);
        const shape = shapes.map(([kind, re]) => [kind, re.exec(statement)] as const).find(([, m]) => m !== null);
        if (shape === undefined || shape[1] === null) {
            unreadable.push(`${shown}: not a statement about the database this restore knows`);
        } else if (!exact && NOT_ASCII.test(statement)) {
            unreadable.push(`${shown.replace(/[^\x00-\x7f]/g, "?")}: characters outside ASCII in the archive's ${encoding ?? "unknown"} encoding`);
        } else {
            statements.push({ kind: shape[0], before: shape[1][1] as string, after: shape[1][2] as string });
        }
    }
    return { quotedName, locale, ...(tablespace === undefined ? {} : { tablespace }), statements, unreadable };
}

function createOptions(text: string): Map<string, string> {
    const options = new Map<string, string>();
    let at = 0;
    for (;;) {
        OPTION.lastIndex = at;
        const m = OPTION.exec(text);
        if (m === null) {
            break;
        }
        const value = m[2] as string;
        options.set(m[1] as string, value.startsWith("'") || /^[Ee]'/.test(value) ? literalValue(value) : value.startsWith('"') ? value.slice(1, -1).replace(/""/g, '"') : value);
        at = OPTION.lastIndex;
    }
    if (text.slice(at).trim() !== "") {
        throw new DatabaseScriptError(`CREATE DATABASE options not understood from ${JSON.stringify(text.slice(at, at + 100))}`);
    }
    return options;
}

function localeOfOptions(o: Map<string, string>): DatabaseLocale {
    const encoding = o.get("ENCODING");
    const collate = o.get("LC_COLLATE") ?? o.get("LOCALE");
    const ctype = o.get("LC_CTYPE") ?? o.get("LOCALE");
    const provider = (o.get("LOCALE_PROVIDER") ?? "libc") as LocaleProvider;
    if (encoding === undefined || collate === undefined || ctype === undefined || !PROVIDER_NAMES.includes(provider)) {
        throw new DatabaseScriptError(`CREATE DATABASE without an encoding, collation, ctype or known provider (${[...o.keys()].join(", ")})`);
    }
    const locale = provider === "icu" ? o.get("ICU_LOCALE") : provider === "builtin" ? o.get("BUILTIN_LOCALE") : undefined;
    if (provider !== "libc" && locale === undefined) {
        throw new DatabaseScriptError(`CREATE DATABASE with the ${provider} provider but no locale for it`);
    }
    const icuRules = provider === "icu" ? o.get("ICU_RULES") : undefined;
    return { encoding, collate, ctype, provider, ...(locale === undefined ? {} : { locale }), ...(icuRules === undefined ? {} : { icuRules }) };
}

/** The value of a string literal as pg_dump writes it: '...' with '' for a quote, or E'...' with backslash escapes. */
export function literalValue(literal: string): string {
    if (literal.startsWith("'")) {
        return literal.slice(1, -1).replace(/''/g, "'");
    }
    return literal.slice(2, -1).replace(/''|\\(.)/gs, (all: string, escaped: string | undefined) => (all === "''" ? "'" : (escaped as string)));
}

/**
 * The script's SQL statements without their `;`, skipping comments and psql's meta-commands
 * (`\connect`, `\restrict`); a `;` inside a quoted literal or identifier does not end one.
 */
export function splitStatements(script: string): string[] {
    const statements: string[] = [];
    let current = "";
    let i = 0;
    let lineStart = true;
    while (i < script.length) {
        const ch = script[i] as string;
        if (lineStart && current.trim() === "" && ch === "\\") {
            const end = script.indexOf("\n", i);
            i = end < 0 ? script.length : end + 1;
            continue;
        }
        lineStart = ch === "\n" || (lineStart && (ch === " " || ch === "\t"));
        if (ch === "-" && script[i + 1] === "-") {
            const end = script.indexOf("\n", i);
            i = end < 0 ? script.length : end;
            continue;
        }
        if (ch === "'" || ch === '"') {
            const escapes = ch === "'" && (script[i - 1] === "E" || script[i - 1] === "e");
            let j = i + 1;
            while (j < script.length) {
                if (escapes && script[j] === "\\") {
                    j += 2;
                } else if (script[j] === ch) {
                    if (script[j + 1] === ch) {
                        j += 2;
                    } else {
                        break;
                    }
                } else {
                    j++;
                }
            }
            current += script.slice(i, j + 1);
            i = j + 1;
            continue;
        }
        if (ch === ";") {
            statements.push(current.trim());
            current = "";
            i++;
            continue;
        }
        current += ch;
        i++;
    }
    if (current.trim() !== "") {
        statements.push(current.trim());
    }
    return statements.filter((s) => s !== "");
}
