/**
 * The encoding and locale a database was created with. pg_restore without --create loads into
 * whatever database it is given, converting text from the archive's encoding to the target's
 * (and, from SQL_ASCII, storing bytes the target's encoding does not allow), and sorting,
 * comparing and changing case by the target's locale. So a restore creates its database with
 * the source's, as the archive records them (databaseScript.ts), and reads back what it created.
 *
 * CREATE DATABASE: https://www.postgresql.org/docs/current/sql-createdatabase.html (ENCODING,
 * LC_COLLATE, LC_CTYPE, LOCALE_PROVIDER and ICU_LOCALE from PostgreSQL 15, ICU_RULES from 16,
 * BUILTIN_LOCALE from 17; a locale or encoding other than template1's needs TEMPLATE template0).
 * pg_database: https://www.postgresql.org/docs/current/catalog-pg-database.html (datlocprovider
 * c/i/b; the ICU locale is daticulocale in 15 and 16 and datlocale from 17).
 */
import { escapeLiteral, type Client } from "pg";
import { quoteIdent } from "./pgTarget";

export type LocaleProvider = "libc" | "icu" | "builtin";

export interface DatabaseLocale {
    /** Server encoding name, e.g. "UTF8", "LATIN1", "SQL_ASCII". */
    readonly encoding: string;
    /** LC_COLLATE (datcollate). */
    readonly collate: string;
    /** LC_CTYPE (datctype). */
    readonly ctype: string;
    /** Locale provider; libc on servers before PostgreSQL 15. */
    readonly provider: LocaleProvider;
    /** The ICU or builtin locale; absent with libc. */
    readonly locale?: string;
    /** ICU tailoring rules (PostgreSQL 16+); absent when there are none. Empty rules are not none: any rules, even empty, make ICU ignore the locale's -u- keywords. */
    readonly icuRules?: string;
}

/** One row for the database named $1: its encoding name and its pg_database row as JSON (whose columns differ by version). */
const DATABASE_LOCALE_QUERY = "SELECT pg_encoding_to_char(d.encoding) AS encoding, to_jsonb(d) - 'datacl' AS row FROM pg_catalog.pg_database d WHERE d.datname = $1";

/** The locale of `database` on the server `client` is connected to. */
export async function readDatabaseLocale(client: Pick<Client, "query">, database: string): Promise<DatabaseLocale> {
    const result = await client.query<{ encoding: unknown; row: unknown }>(DATABASE_LOCALE_QUERY, [database]);
    const row = result.rows[0];
    if (row === undefined) {
        throw new Error(`database ${JSON.stringify(database)} is not in pg_database`);
    }
    return databaseLocaleOf(row);
}

/**
 * The fields a created database must share with the one asked for. The ICU locale is left out:
 * PostgreSQL 16 and newer store it canonicalized (sv_SE as sv-SE). ICU rules are compared: a
 * database created without them takes template0's.
 */
export function localeDifferences(expected: DatabaseLocale, actual: DatabaseLocale): string[] {
    const show = (v: string | undefined): string => (v === undefined ? "none" : JSON.stringify(v));
    return (["encoding", "collate", "ctype", "provider", "icuRules"] as const).filter((k) => expected[k] !== actual[k]).map((k) => `${k} ${show(actual[k])}, expected ${show(expected[k])}`);
}

const PROVIDERS: Readonly<Record<string, LocaleProvider>> = { c: "libc", i: "icu", b: "builtin" };

/** The locale from DATABASE_LOCALE_QUERY's row; throws on a row it cannot read rather than guessing. */
export function databaseLocaleOf(result: { readonly encoding: unknown; readonly row: unknown }): DatabaseLocale {
    const row = typeof result.row === "object" && result.row !== null ? (result.row as Record<string, unknown>) : {};
    const text = (column: string): string | undefined => (typeof row[column] === "string" && row[column] !== "" ? row[column] : undefined);
    const encoding = typeof result.encoding === "string" ? result.encoding : "";
    const collate = text("datcollate");
    const ctype = text("datctype");
    const code = text("datlocprovider") ?? "c";
    const provider = PROVIDERS[code];
    if (encoding === "" || collate === undefined || ctype === undefined || provider === undefined) {
        throw new Error(
            `pg_database row not understood: encoding ${JSON.stringify(result.encoding)}, datcollate ${JSON.stringify(row.datcollate)}, datctype ${JSON.stringify(row.datctype)}, datlocprovider ${JSON.stringify(row.datlocprovider)}`,
        );
    }
    const locale = provider === "libc" ? undefined : (text("datlocale") ?? text("daticulocale"));
    if (provider !== "libc" && locale === undefined) {
        throw new Error(`pg_database row not understood: provider ${provider} without a locale (datlocale or daticulocale)`);
    }
    const icuRules = provider === "icu" && typeof row.daticurules === "string" ? row.daticurules : undefined;
    return { encoding, collate, ctype, provider, ...(locale === undefined ? {} : { locale }), ...(icuRules === undefined ? {} : { icuRules }) };
}

/** The backup's encoding with the C locale, which every server has and which accepts every encoding. */
export function withCLocale(locale: Pick<DatabaseLocale, "encoding">): DatabaseLocale {
    return { encoding: locale.encoding, collate: "C", ctype: "C", provider: "libc" };
}

export function isCLocale(locale: DatabaseLocale): boolean {
    return locale.provider === "libc" && locale.collate === "C" && locale.ctype === "C";
}

/**
 * CREATE DATABASE for `locale` on a server of `serverVersionNum`. From PostgreSQL 15 the provider
 * is always named, so a cluster whose default provider is ICU does not turn a libc database into an ICU one.
 */
export function createDatabaseSql(database: string, locale: DatabaseLocale, serverVersionNum: number): string {
    const clauses = [`TEMPLATE template0`, `ENCODING ${escapeLiteral(locale.encoding)}`, `LC_COLLATE ${escapeLiteral(locale.collate)}`, `LC_CTYPE ${escapeLiteral(locale.ctype)}`];
    if (serverVersionNum >= 150000) {
        clauses.push(`LOCALE_PROVIDER ${locale.provider}`);
    } else if (locale.provider !== "libc") {
        throw new Error(`the ${locale.provider} locale provider needs PostgreSQL 15 or newer; the target server is ${serverVersionNum}`);
    }
    if (locale.provider === "icu" && locale.locale !== undefined) {
        clauses.push(`ICU_LOCALE ${escapeLiteral(locale.locale)}`);
    }
    if (locale.provider === "builtin" && locale.locale !== undefined) {
        clauses.push(`BUILTIN_LOCALE ${escapeLiteral(locale.locale)}`);
    }
    if (locale.icuRules !== undefined) {
        clauses.push(`ICU_RULES ${escapeLiteral(locale.icuRules)}`);
    }
    return `CREATE DATABASE ${quoteIdent(database)} ${clauses.join(" ")}`;
}

/** One line for logs and output: `UTF8, LC_COLLATE en_US.UTF-8, LC_CTYPE en_US.UTF-8, libc`. */
export function describeLocale(locale: DatabaseLocale): string {
    const provider = locale.locale === undefined ? locale.provider : `${locale.provider} ${locale.locale}`;
    return `${locale.encoding}, LC_COLLATE ${locale.collate}, LC_CTYPE ${locale.ctype}, ${provider}${locale.icuRules === undefined ? "" : " with ICU rules"}`;
}
