import assert from "node:assert/strict";
import { createDatabaseSql, databaseLocaleOf, describeLocale, localeDifferences, withCLocale, type DatabaseLocale } from "../../../../lambdas/shared/databaseLocale";

// pg_database's columns by version: https://www.postgresql.org/docs/current/catalog-pg-database.html
const PG14_ROW = { datname: "shop", datcollate: "en_US.UTF-8", datctype: "en_US.UTF-8" };
const PG15_ICU_ROW = { datname: "shop", datcollate: "C", datctype: "C", datlocprovider: "i", daticulocale: "sv-SE" };
const PG16_ICU_RULES_ROW = { ...PG15_ICU_ROW, daticurules: "&a < b" };
const PG17_BUILTIN_ROW = { datname: "shop", datcollate: "C", datctype: "C", datlocprovider: "b", datlocale: "C.UTF-8", daticurules: null };

describe("database locale", () => {
    describe("read from pg_database", () => {
        it("reads each version's columns: no provider before 15 (libc), daticulocale in 15-16, datlocale from 17, ICU rules from 16", () => {
            assert.deepEqual(databaseLocaleOf({ encoding: "UTF8", row: PG14_ROW }), { encoding: "UTF8", collate: "en_US.UTF-8", ctype: "en_US.UTF-8", provider: "libc" });
            assert.deepEqual(databaseLocaleOf({ encoding: "UTF8", row: PG15_ICU_ROW }), { encoding: "UTF8", collate: "C", ctype: "C", provider: "icu", locale: "sv-SE" });
            assert.deepEqual(databaseLocaleOf({ encoding: "UTF8", row: PG16_ICU_RULES_ROW }), { encoding: "UTF8", collate: "C", ctype: "C", provider: "icu", locale: "sv-SE", icuRules: "&a < b" });
            assert.deepEqual(databaseLocaleOf({ encoding: "UTF8", row: PG17_BUILTIN_ROW }), { encoding: "UTF8", collate: "C", ctype: "C", provider: "builtin", locale: "C.UTF-8" });
            assert.deepEqual(databaseLocaleOf({ encoding: "LATIN1", row: { ...PG14_ROW, datlocprovider: "c", daticulocale: null } }).provider, "libc");
        });

        it("keeps empty ICU rules apart from none: any rules make ICU ignore the locale's -u- keywords", () => {
            assert.equal(databaseLocaleOf({ encoding: "UTF8", row: { ...PG16_ICU_RULES_ROW, daticurules: "" } }).icuRules, "");
            assert.equal(databaseLocaleOf({ encoding: "UTF8", row: { ...PG16_ICU_RULES_ROW, daticurules: null } }).icuRules, undefined);
            assert.match(createDatabaseSql("shop", databaseLocaleOf({ encoding: "UTF8", row: { ...PG16_ICU_RULES_ROW, daticurules: "" } }), 160000), /ICU_RULES ''$/);
        });

        it("refuses a row it cannot read rather than guessing", () => {
            assert.throws(() => databaseLocaleOf({ encoding: "UTF8", row: { datctype: "C" } }), /datcollate undefined/);
            assert.throws(() => databaseLocaleOf({ encoding: null, row: PG14_ROW }), /encoding null/);
            assert.throws(() => databaseLocaleOf({ encoding: "UTF8", row: { ...PG14_ROW, datlocprovider: "x" } }), /datlocprovider "x"/);
            assert.throws(() => databaseLocaleOf({ encoding: "UTF8", row: { ...PG15_ICU_ROW, daticulocale: null } }), /provider icu without a locale/);
        });
    });

    describe("CREATE DATABASE", () => {
        const libc: DatabaseLocale = { encoding: "LATIN1", collate: "de_DE.ISO-8859-1", ctype: "de_DE.ISO-8859-1", provider: "libc" };

        it("names the provider from PostgreSQL 15, so a cluster whose default provider is ICU still creates a libc database", () => {
            assert.equal(
                createDatabaseSql("shop copy", libc, 150004),
                `CREATE DATABASE "shop copy" TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'de_DE.ISO-8859-1' LC_CTYPE 'de_DE.ISO-8859-1' LOCALE_PROVIDER libc`,
            );
        });

        it("leaves the provider out for a server before 15, and refuses an ICU locale there", () => {
            assert.equal(createDatabaseSql("shop", libc, 140011), `CREATE DATABASE "shop" TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'de_DE.ISO-8859-1' LC_CTYPE 'de_DE.ISO-8859-1'`);
            assert.throws(() => createDatabaseSql("shop", databaseLocaleOf({ encoding: "UTF8", row: PG15_ICU_ROW }), 140011), /icu locale provider needs PostgreSQL 15/);
        });

        it("carries the ICU locale and rules, and the builtin locale", () => {
            assert.match(createDatabaseSql("shop", databaseLocaleOf({ encoding: "UTF8", row: PG16_ICU_RULES_ROW }), 160002), /LOCALE_PROVIDER icu ICU_LOCALE 'sv-SE' ICU_RULES '&a < b'$/);
            assert.match(createDatabaseSql("shop", databaseLocaleOf({ encoding: "UTF8", row: PG17_BUILTIN_ROW }), 170000), /LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'$/);
        });

        it("quotes every value as a literal, quotes and backslashes included", () => {
            const odd: DatabaseLocale = { encoding: "UTF8", collate: "it's\\odd", ctype: "C", provider: "libc" };
            assert.match(createDatabaseSql('we"ird', odd, 150000), /^CREATE DATABASE "we""ird" .* LC_COLLATE {2}E'it''s\\\\odd' /);
        });

        it("with the C locale keeps only the encoding", () => {
            const icu = databaseLocaleOf({ encoding: "UTF8", row: PG16_ICU_RULES_ROW });
            assert.deepEqual(withCLocale(icu), { encoding: "UTF8", collate: "C", ctype: "C", provider: "libc" });
        });
    });

    it("compares encoding, collation, ctype, provider and ICU rules, not the ICU locale's spelling (PostgreSQL 16 canonicalizes it)", () => {
        const source = databaseLocaleOf({ encoding: "UTF8", row: { ...PG15_ICU_ROW, daticulocale: "sv_SE" } });
        assert.deepEqual(localeDifferences(source, { ...source, locale: "sv-SE" }), []);
        assert.deepEqual(localeDifferences(source, { ...source, encoding: "SQL_ASCII", provider: "libc" }), ['encoding "SQL_ASCII", expected "UTF8"', 'provider "libc", expected "icu"']);
        // A database created without rules takes template0's; empty rules are rules.
        assert.deepEqual(localeDifferences(source, { ...source, icuRules: "&a < b" }), ['icuRules "&a < b", expected none']);
        assert.deepEqual(localeDifferences({ ...source, icuRules: "" }, source), ['icuRules none, expected ""']);
    });

    it("describes a locale on one line", () => {
        assert.equal(describeLocale(databaseLocaleOf({ encoding: "UTF8", row: PG16_ICU_RULES_ROW })), "UTF8, LC_COLLATE C, LC_CTYPE C, icu sv-SE with ICU rules");
    });
});
