import assert from "node:assert/strict";
import { DatabaseScriptError, databaseEntriesList, describeStatement, literalValue, parseDatabaseScript, splitStatements, statementFor } from "../../../../lambdas/shared/databaseScript";

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

    it("reads a tablespace whose name needs quotes", () => {
        const parsed = parseDatabaseScript(script("UTF8", `CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C' TABLESPACE = "Fast ""SSD""";`));
        assert.equal(parsed.tablespace, 'Fast "SSD"');
        assert.equal(parseDatabaseScript(script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C';")).tablespace, undefined);
    });

    it("reads a quoted name and every statement pg_dump writes about the database, each able to name another", () => {
        const q = `"we'ird ""db"""`;
        const parsed = parseDatabaseScript(
            script(
                "UTF8",
                `CREATE DATABASE ${q} WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';`,
                `ALTER DATABASE ${q} OWNER TO app;`,
                "\\connect -reuse-previous=on \"dbname='we''ird \"\"db\"\"'\"",
                `COMMENT ON DATABASE ${q} IS 'the shop; mostly';`,
                `ALTER DATABASE ${q} CONNECTION LIMIT = 3;`,
                `ALTER DATABASE ${q} IS_TEMPLATE = true;`,
                `ALTER DATABASE ${q} SET search_path TO 'odd schema', 'public';`,
                `ALTER DATABASE ${q} SET "app.tenant" TO 'o''brien; x';`,
                `ALTER DATABASE ${q} SET "TimeZone" TO 'Europe/Berlin';`,
                `ALTER DATABASE ${q} SET "my.path" TO E'a\\\\b; c';`,
                `ALTER ROLE "Odd Role" IN DATABASE ${q} SET work_mem TO '16MB';`,
                `SET SESSION AUTHORIZATION grantor;`,
                `REVOKE CONNECT,TEMPORARY ON DATABASE ${q} FROM PUBLIC;`,
                `GRANT CREATE ON DATABASE ${q} TO app WITH GRANT OPTION;`,
                `RESET SESSION AUTHORIZATION;`,
                `SECURITY LABEL FOR selinux ON DATABASE ${q} IS 'system_u:object_r:sepgsql_db_t:s0';`,
            ),
        );
        assert.equal(parsed.quotedName, q);
        assert.deepEqual(parsed.unreadable, []);
        assert.deepEqual(
            parsed.statements.map((st) => [st.kind, statementFor(st, '"copy"')]),
            [
                ["owner", `ALTER DATABASE "copy" OWNER TO app`],
                ["comment", `COMMENT ON DATABASE "copy" IS 'the shop; mostly'`],
                ["connectionLimit", `ALTER DATABASE "copy" CONNECTION LIMIT = 3`],
                ["template", `ALTER DATABASE "copy" IS_TEMPLATE = true`],
                ["setting", `ALTER DATABASE "copy" SET search_path TO 'odd schema', 'public'`],
                ["setting", `ALTER DATABASE "copy" SET "app.tenant" TO 'o''brien; x'`],
                ["setting", `ALTER DATABASE "copy" SET "TimeZone" TO 'Europe/Berlin'`],
                ["setting", `ALTER DATABASE "copy" SET "my.path" TO E'a\\\\b; c'`],
                ["roleSetting", `ALTER ROLE "Odd Role" IN DATABASE "copy" SET work_mem TO '16MB'`],
                ["privilege", `REVOKE CONNECT,TEMPORARY ON DATABASE "copy" FROM PUBLIC`],
                ["privilege", `GRANT CREATE ON DATABASE "copy" TO app WITH GRANT OPTION`],
                ["securityLabel", `SECURITY LABEL FOR selinux ON DATABASE "copy" IS 'system_u:object_r:sepgsql_db_t:s0'`],
            ],
        );
    });

    it("names, without carrying over, what it does not know the shape of and what it cannot read in the archive's encoding", () => {
        const create = "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE_PROVIDER = libc LOCALE = 'C';";
        assert.deepEqual(parseDatabaseScript(script("UTF8", create, "ALTER DATABASE shop SET \"app.greeting\" TO 'café';")).statements.length, 1);
        const latin1 = parseDatabaseScript(
            script(
                "LATIN1",
                create,
                "ALTER DATABASE shop SET \"app.greeting\" TO 'café';",
                "ALTER DATABASE shop SET work_mem TO '8MB';",
                "ALTER DATABASE shop SET work_mem TO DEFAULT;",
                "ALTER DATABASE shop SET work_mem TO '8MB' FROM CURRENT;",
                "ALTER DATABASE other SET work_mem TO '1GB';",
            ),
        );
        assert.deepEqual(
            latin1.statements.map((st) => statementFor(st, "shop")),
            ["ALTER DATABASE shop SET work_mem TO '8MB'"],
        );
        // (named without their values, which may be secrets)
        assert.deepEqual(latin1.unreadable, [
            `ALTER DATABASE shop SET "app.greeting" TO ...: characters outside ASCII in the archive's LATIN1 encoding`,
            "ALTER DATABASE shop SET work_mem TO ...: not a statement about the database this restore knows",
            "ALTER DATABASE shop SET work_mem TO ...: not a statement about the database this restore knows",
            "ALTER DATABASE other SET work_mem TO ...: not a statement about the database this restore knows",
        ]);
    });

    it("shows a setting by its name only, and other statements whole", () => {
        const parsed = parseDatabaseScript(
            script(
                "UTF8",
                "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C';",
                `ALTER DATABASE shop SET "app.jwt_secret" TO 's3cr3t';`,
                `ALTER ROLE app IN DATABASE shop SET "app.key" TO E'k\\\\ey';`,
                "COMMENT ON DATABASE shop IS 'orders';",
            ),
        );
        assert.deepEqual(
            parsed.statements.map((st) => describeStatement(st, '"copy"')),
            [`ALTER DATABASE "copy" SET "app.jwt_secret" TO ...`, `ALTER ROLE app IN DATABASE "copy" SET "app.key" TO ...`, `COMMENT ON DATABASE "copy" IS 'orders'`],
        );
    });

    it("carries over nothing of an archive in a client-only encoding, whose bytes could split statements anywhere, but still reads its CREATE DATABASE", () => {
        const parsed = parseDatabaseScript(script("SJIS", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C';", "ALTER DATABASE shop SET work_mem TO '8MB';"));
        assert.deepEqual(parsed.locale, { encoding: "UTF8", collate: "C", ctype: "C", provider: "libc" });
        assert.deepEqual(parsed.statements, []);
        assert.match(parsed.unreadable.join(), /SJIS, a client-only encoding/);
    });

    it("refuses a CREATE DATABASE it cannot read rather than guessing", () => {
        const refusals: [string, Buffer, RegExp][] = [
            ["no CREATE DATABASE", script("UTF8", "ALTER DATABASE shop SET work_mem TO '8MB';"), /no CREATE DATABASE/],
            ["an option it does not know the shape of", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C' STRATEGY (x);"), /options not understood from " STRATEGY/],
            ["no encoding", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 LOCALE = 'C';"), /without an encoding/],
            ["an unknown provider", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = glibc LOCALE = 'C';"), /known provider/],
            ["ICU without its locale", script("UTF8", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu LOCALE = 'C';"), /icu provider but no locale/],
            ["a locale beyond ASCII in a non-UTF8 archive", script("LATIN1", "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE = 'Français';"), /outside ASCII in the archive's LATIN1/],
        ];
        for (const [what, bytes, message] of refusals) {
            assert.throws(() => parseDatabaseScript(bytes), (err: unknown) => err instanceof DatabaseScriptError && message.test(err.message), what);
        }
    });

    it("keeps, of pg_restore --create --list, the lines of the database's own entries", () => {
        const listing = [
            ";     Dump Version: 1.14-0",
            "3339; 1262 16387 DATABASE - My DB grantor",
            "3340; 0 0 COMMENT - DATABASE \"My DB\" grantor",
            "3342; 0 0 DATABASE PROPERTIES - My DB grantor",
            "4; 2615 2200 SCHEMA - public pg_database_owner",
            "3338; 0 0 COMMENT - SCHEMA public pg_database_owner",
            "214; 1259 16392 TABLE public DATABASE app",
            "3341; 0 0 ACL - DATABASE \"My DB\" grantor",
            "3343; 0 0 SECURITY LABEL - DATABASE \"My DB\" grantor",
        ].join("\n");
        assert.deepEqual(databaseEntriesList(listing).split("\n").map((l) => l.split(";")[0]), ["3339", "3340", "3342", "3341", "3343", ""]);
    });

    it("splits statements outside quotes and skips comments and psql's meta-commands", () => {
        assert.deepEqual(splitStatements("\\connect x\n-- a; comment\nSELECT 'a;b', \"c;\"\"d\";\n  \\restrict k\nSELECT E'\\';x';\nSELECT 1"), ["SELECT 'a;b', \"c;\"\"d\"", "SELECT E'\\';x'", "SELECT 1"]);
    });

    it("reads both literal forms", () => {
        assert.equal(literalValue("'o''brien'"), "o'brien");
        assert.equal(literalValue("E'a\\\\b\\'c'"), "a\\b'c");
    });
});
