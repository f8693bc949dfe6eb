import assert from "node:assert/strict";
import { DatabaseScriptError, literalValue, parseDatabaseScript, splitStatements } from "../../../../lambdas/shared/databaseScript";

/** What `pg_restore --create --file=- --use-list=/dev/null` prints, around the statements given. */
function script(encoding: string, ...statements: string[]): Buffer {
    const text = [
        "--",
        "-- PostgreSQL database dump",
        "--",
        "\\restrict abc123",
        "SET statement_timeout = 0;",
        `SET client_encoding = '${encoding}';`,
        "SET standard_conforming_strings = on;",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "--",
        "-- Name: shop; Type: DATABASE; Schema: -; Owner: app",
        "--",
        ...statements,
        "\\unrestrict abc123",
        "\\connect shop",
        "\\restrict abc123",
        "SET statement_timeout = 0;",
        "\\unrestrict abc123",
        "",
    ].join("\n");
    return Buffer.from(text, encoding === "UTF8" ? "utf8" : "latin1");
}

describe("the archive's own database script (pg_restore --create, empty list)", () => {
    describe("CREATE DATABASE as each pg_dump version writes it", () => {
        const cases: [string, string, object][] = [
            [
                "13 and 14: LC_COLLATE and LC_CTYPE, no provider",
                "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'LATIN1' LC_COLLATE = 'de_DE.iso88591' LC_CTYPE = 'de_DE.ISO-8859-1';",
                { encoding: "LATIN1", collate: "de_DE.iso88591", ctype: "de_DE.ISO-8859-1", provider: "libc" },
            ],
            ["15: LOCALE for both", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'SQL_ASCII' LOCALE_PROVIDER = libc LOCALE = 'C';", { encoding: "SQL_ASCII", collate: "C", ctype: "C", provider: "libc" }],
            [
                "15: ICU",
                "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C.UTF-8' ICU_LOCALE = 'sv-SE';",
                { encoding: "UTF8", collate: "C.UTF-8", ctype: "C.UTF-8", provider: "icu", locale: "sv-SE" },
            ],
            [
                "16: ICU rules, with a quote, and a tablespace",
                "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C' ICU_LOCALE = 'und' ICU_RULES = '&a < b; &''x'' < y' TABLESPACE = fast;",
                { encoding: "UTF8", collate: "C", ctype: "C", provider: "icu", locale: "und", icuRules: "&a < b; &'x' < y" },
            ],
            ["16: empty ICU rules", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C' ICU_LOCALE = 'und' ICU_RULES = '';", { encoding: "UTF8", collate: "C", ctype: "C", provider: "icu", locale: "und", icuRules: "" }],
            [
                "17: builtin",
                "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = builtin LOCALE = 'C' BUILTIN_LOCALE = 'C.UTF-8';",
                { encoding: "UTF8", collate: "C", ctype: "C", provider: "builtin", locale: "C.UTF-8" },
            ],
        ];
        for (const [what, create, locale] of cases) {
            it(what, () => {
                assert.deepEqual(parseDatabaseScript(script("UTF8", create, "ALTER DATABASE shop OWNER TO app;")).locale, locale);
            });
        }
    });

    it("reads a quoted name and takes only that database's settings, as pg_dump wrote them", () => {
        const parsed = parseDatabaseScript(
            script(
                "UTF8",
                `CREATE DATABASE "we'ird ""db""" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';`,
                `ALTER DATABASE "we'ird ""db""" OWNER TO app;`,
                `COMMENT ON DATABASE "we'ird ""db""" IS 'the shop; mostly';`,
                `ALTER DATABASE "we'ird ""db""" SET search_path TO 'odd schema', 'public';`,
                `ALTER DATABASE "we'ird ""db""" SET "app.tenant" TO 'o''brien; x';`,
                `ALTER DATABASE "we'ird ""db""" SET statement_timeout TO '5s';`,
                `ALTER DATABASE "we'ird ""db""" SET "TimeZone" TO 'Europe/Berlin';`,
                `ALTER DATABASE "we'ird ""db""" SET "my.path" TO E'a\\\\b; c';`,
                `ALTER DATABASE other SET work_mem TO '1GB';`,
                `ALTER ROLE app IN DATABASE "we'ird ""db""" SET work_mem TO '16MB';`,
            ),
        );
        assert.equal(parsed.quotedName, `"we'ird ""db"""`);
        assert.deepEqual(parsed.settings, [
            "search_path TO 'odd schema', 'public'",
            `"app.tenant" TO 'o''brien; x'`,
            "statement_timeout TO '5s'",
            `"TimeZone" TO 'Europe/Berlin'`,
            `"my.path" TO E'a\\\\b; c'`,
        ]);
        assert.equal(parsed.roleSettings, 1);
        assert.deepEqual(parsed.skippedSettings, []);
    });

    it("reads a UTF8 archive's settings as UTF-8, and skips, naming it, a setting beyond ASCII in any other encoding", () => {
        const create = "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE_PROVIDER = libc LOCALE = 'C';";
        assert.deepEqual(parseDatabaseScript(script("UTF8", create, "ALTER DATABASE shop SET \"app.greeting\" TO 'café';")).settings, [`"app.greeting" TO 'café'`]);
        const latin1 = parseDatabaseScript(script("LATIN1", create, "ALTER DATABASE shop SET \"app.greeting\" TO 'café';", "ALTER DATABASE shop SET work_mem TO '8MB';"));
        assert.deepEqual(latin1.settings, ["work_mem TO '8MB'"]);
        assert.deepEqual(latin1.skippedSettings, [`"app.greeting" TO 'caf?': characters outside ASCII in the archive's LATIN1 encoding`]);
    });

    it("refuses what it cannot read rather than guessing", () => {
        const create = "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C';";
        const refusals: [string, Buffer, RegExp][] = [
            ["no CREATE DATABASE", script("UTF8", "ALTER DATABASE shop SET work_mem TO '8MB';"), /no CREATE DATABASE/],
            ["an option it does not know the shape of", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C' STRATEGY (x);"), /options not understood from " STRATEGY/],
            ["no encoding", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 LOCALE = 'C';"), /without an encoding/],
            ["an unknown provider", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = glibc LOCALE = 'C';"), /known provider/],
            ["ICU without its locale", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C';"), /icu provider but no locale/],
            ["a setting that is not NAME TO literals", script("UTF8", create, "ALTER DATABASE shop SET work_mem TO DEFAULT;"), /setting not understood/],
            ["a setting with something after its literals", script("UTF8", create, "ALTER DATABASE shop SET work_mem TO '8MB' FROM CURRENT;"), /setting not understood/],
            ["a locale beyond ASCII in a non-UTF8 archive", script("LATIN1", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE = 'Français';"), /outside ASCII in the archive's LATIN1/],
        ];
        for (const [what, bytes, message] of refusals) {
            assert.throws(() => parseDatabaseScript(bytes), (err: unknown) => err instanceof DatabaseScriptError && message.test(err.message), what);
        }
    });

    it("splits statements outside quotes and skips comments and psql's meta-commands", () => {
        assert.deepEqual(splitStatements("\\connect x\n-- a; comment\nSELECT 'a;b', \"c;\"\"d\";\n  \\restrict k\nSELECT E'\\';x';\nSELECT 1"), ["SELECT 'a;b', \"c;\"\"d\"", "SELECT E'\\';x'", "SELECT 1"]);
    });

    it("reads both literal forms", () => {
        assert.equal(literalValue("'o''brien'"), "o'brien");
        assert.equal(literalValue("E'a\\\\b\\'c'"), "a\\b'c");
    });
});
