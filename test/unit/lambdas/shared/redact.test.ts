import assert from "node:assert/strict";
import fc from "fast-check";
import { hideSecret, redactFields, redactText, redactUrl, withoutRowData } from "../../../../lambdas/shared/redact";

/** Printable ASCII, weighted towards the characters that end a URL part early. */
const passwordChar = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("/", "?", "#", "@", ":", "%", " ", "\\", "'", '"') },
    { weight: 5, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
);
/** A password long enough that finding it in the output cannot be chance. */
const password = fc.array(passwordChar, { minLength: 6, maxLength: 40 }).map((chars) => chars.join(""));
const host = fc.constantFrom("db.example.com", "10.0.3.7", "orders.c9akciq32.eu-west-1.rds.amazonaws.com", "[2001:db8::5]");

describe("redaction of passwords in URLs", () => {
    const examples: [string, string][] = [
        ["postgres://app:#Pr0dS3cret@db.example.com:5432/", "postgres://app:***@db.example.com:5432/"],
        ["postgres://app:2024?Spring@db.example.com:5432/orders", "postgres://app:***@db.example.com:5432/orders"],
        ["postgres://app:a/b/c@db.example.com/orders?sslmode=require", "postgres://app:***@db.example.com/orders?sslmode=require"],
        ["postgres://admin:pa@ss@word@db.internal:5432/", "postgres://admin:***@db.internal:5432/"],
        ["postgres://app@myserver:s3cret@myserver.postgres.database.azure.com/db", "postgres://app@myserver:***@myserver.postgres.database.azure.com/db"],
        ["postgres://app@db.example.com:5432/orders", "postgres://app@db.example.com:5432/orders"],
        ["http://127.0.0.1:9000", "http://127.0.0.1:9000"],
    ];
    for (const [url, expected] of examples) {
        it(`redacts ${JSON.stringify(url)}`, () => {
            assert.equal(redactUrl(url), expected);
        });
    }

    it("keeps a later URL of the same line apart from the first one", () => {
        const text = "--target-url: no database name in postgres://app:#x/y?z@db.example.com:5432/; expected postgres://user@host:port/database";
        assert.equal(redactText(text), "--target-url: no database name in postgres://app:***@db.example.com:5432/; expected postgres://user@host:port/database");
    });

    it("changes nothing when redacting twice, even with an @ later on the line", () => {
        const message = `--target-url: "${redactUrl("postgres://app:#x@db.example.com:5432/")}" has a "/" before its last "@"`;
        assert.equal(message, '--target-url: "postgres://app:***@db.example.com:5432/" has a "/" before its last "@"');
        assert.equal(redactText(message), message);
    });

    it("redacts every URL of a multi-line message and nested log fields", () => {
        const text = "first postgres://a:one@h1/db\nthen postgresql://b:two@h2/db and https://c:three@h3/x";
        assert.equal(redactText(text), "first postgres://a:***@h1/db\nthen postgresql://b:***@h2/db and https://c:***@h3/x");
        assert.deepEqual(redactFields({ error: new Error("at postgres://a:one@h1/db"), nested: { urls: ["postgres://a:two@h2/db"] }, n: 3 }), {
            error: "at postgres://a:***@h1/db",
            nested: { urls: ["postgres://a:***@h2/db"] },
            n: 3,
        });
    });

    it("never shows a password of any printable characters, and always shows the host (property)", () => {
        fc.assert(
            fc.property(password, host, fc.constantFrom("postgres", "postgresql"), (pw, h, scheme) => {
                // A password holding whitespace then `x://` after an "@" cannot be told apart from a second URL on the line.
                fc.pre(!/@.*\s[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(pw));
                // A password starting with "***@" reads as one already redacted.
                fc.pre(!pw.startsWith("***@"));
                const url = `${scheme}://app:${pw}@${h}:5432/orders`;
                for (const text of [url, `--target-url: no host in ${url}; expected postgres://user@host:port/database`, `connect ${url} failed\nretrying`]) {
                    const out = redactText(text);
                    assert.ok(!out.includes(pw), `password ${JSON.stringify(pw)} shown in ${JSON.stringify(out)}`);
                    assert.ok(out.includes(`app:***@${h}:5432/orders`), `host ${h} missing from ${JSON.stringify(out)}`);
                }
            }),
            { numRuns: 500 },
        );
    });
});

describe("redaction of credentials the process holds", () => {
    let held = 0;
    it("hides a held password or token wherever it stands, in any text (property)", () => {
        fc.assert(
            // Held secrets stay held for the whole process: each carries a marker no other test's text has. A secret
            // with "*" could be rebuilt from the "***" that stands in for another; real ones never have one.
            fc.property(fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes("*")), fc.string(), fc.string(), (tail, before, after) => {
                const secret = `held-${++held}-${tail}`;
                // given a secret registered once resolved (a Key Vault password, an Entra token)
                hideSecret(secret);
                // when text that quotes it, twice, is redacted
                const out = redactText(`${before}${secret}${after} and again ${secret}`);
                // then it is gone
                assert.ok(!out.includes(secret), `${JSON.stringify(secret)} shown in ${JSON.stringify(out)}`);
            }),
            { numRuns: 100 },
        );
    });

    it("leaves values shorter than 8 characters alone: they would garble ordinary text", () => {
        hideSecret("pw");
        hideSecret("s3cr3t!");
        assert.equal(redactText("the pw field and s3cr3t! stay"), "the pw field and s3cr3t! stay");
    });
});

describe("row data in a tool's server messages", () => {
    const cases: [string, string][] = [
        ['pg_restore: error: COPY failed for table "api_keys": ERROR:  new row for relation "api_keys" violates check constraint "api_keys_secret_check"',
            'pg_restore: error: COPY failed for table "api_keys": ERROR:  new row for relation "api_keys" violates check constraint "api_keys_secret_check"'],
        ["DETAIL:  Failing row contains (1, sk_live_TOPSECRET_123456).", "DETAIL:  Failing row contains (row data withheld)."],
        ['CONTEXT:  COPY api_keys, line 1: "1\tsk_live_TOPSECRET_123456"', "CONTEXT:  COPY api_keys, line 1: (row data withheld)"],
        ['CONTEXT:  COPY "odd, name", line 12, column secret: "sk_live_TOPSECRET_123456"', 'CONTEXT:  COPY "odd, name", line 12, column secret: (row data withheld)'],
        ["DETAIL:  Key (email)=(ceo@example.com) already exists.", "DETAIL:  Key (email)=(row data withheld) already exists."],
        ['DETAIL:  Key (customer_id)=(42) is not present in table "customers".', 'DETAIL:  Key (customer_id)=(row data withheld) is not present in table "customers".'],
        ['ERROR:  invalid input syntax for type integer: "4111 1111 1111 1111"', "ERROR:  invalid input syntax for type integer: (row data withheld)"],
        ['ERROR:  invalid input value for enum mood: "furious"', "ERROR:  invalid input value for enum mood: (row data withheld)"],
        ['ERROR:  value "99999999999" is out of range for type integer', "ERROR:  value (row data withheld) is out of range for type integer"],
        ['ERROR:  date/time field value out of range: "2026-13-45"', "ERROR:  date/time field value out of range: (row data withheld)"],
        ['pg_restore: error: could not execute query: ERROR:  relation "public.banned" does not exist', 'pg_restore: error: could not execute query: ERROR:  relation "public.banned" does not exist'],
        ["CONTEXT:  SQL function \"ok_token\" during inlining", "CONTEXT:  SQL function \"ok_token\" during inlining"],
    ];
    for (const [line, expected] of cases) {
        it(`keeps names and positions, withholds values: ${expected.slice(0, 70)}`, () => {
            // given a server message line as pg_restore prints it
            // when its row data is withheld
            // then it reads as expected, and twice changes nothing more
            assert.equal(withoutRowData(line), expected);
            assert.equal(withoutRowData(withoutRowData(line)), expected);
        });
    }

    const more: [string, string][] = [
        ["DETAIL:  Key (a)=(5) is duplicated.", "DETAIL:  Key (a)=(row data withheld) is duplicated."],
        ["DETAIL:  Key (c)=(1) conflicts with existing key (c)=(7).", "DETAIL:  Key (c)=(row data withheld) conflicts with existing key (row data withheld)."],
        ["DETAIL:  Key (lower(email::text))=(ceo@example.com) already exists.", "DETAIL:  Key (lower(email::text))=(row data withheld) already exists."],
        ["DETAIL:  Partition key of the failing row contains (a) = (55).", "DETAIL:  Partition key of the failing row contains (row data withheld)."],
        ['DETAIL:  Token "SECRETTOKEN" is invalid.', "DETAIL:  Token (row data withheld) is invalid."],
        ['CONTEXT:  JSON data, line 1: {"a": SECRETTOKEN...', "CONTEXT:  JSON data, line 1: (row data withheld)"],
        ['ERROR:  malformed array literal: "{1,SECRET"', "ERROR:  malformed array literal: (row data withheld)"],
        ['ERROR:  "1e999" is out of range for type double precision', "ERROR:  (row data withheld) is out of range for type double precision"],
    ];
    for (const [line, expected] of more) {
        it(`withholds a value in: ${expected.slice(0, 70)}`, () => {
            assert.equal(withoutRowData(line), expected);
        });
    }

    it("withholds the lines a value holding a newline runs on over, up to the next message", () => {
        // given messages whose quoted values hold newlines, between ordinary messages
        const tail = [
            'pg_restore: error: COPY failed for table "t": ERROR:  invalid input syntax for type integer: "abc',
            'SECRET-1"',
            "DETAIL:  Failing row contains (null, SECRET-2",
            "SECRET-3 more).",
            'CONTEXT:  COPY t, line 1, column a: "SECRET-4',
            'SECRET-5"',
            "pg_restore: warning: errors ignored on restore: 1",
            "Command was: CREATE TABLE x (",
            "    id integer",
            ");",
        ].join("\n");
        const out = withoutRowData(tail);
        // then no value is left, and the next messages, and a statement's own lines, are kept
        assert.ok(!/SECRET/.test(out), out);
        assert.match(out, /errors ignored on restore: 1\nCommand was: CREATE TABLE x \(\n    id integer\n\);$/);
        assert.match(out, /COPY t, line 1, column a: \(row data withheld\)/);
    });

    it("drops the start of a tail cut from a longer stderr up to its first message, and keeps a whole one's first line", () => {
        const cut = ['SECRET-6 in the middle of a value"', "CONTEXT:  COPY t, line 9: x", "pg_restore: error: could not execute query"].join("\n");
        assert.equal(withoutRowData(cut, true), "CONTEXT:  COPY t, line 9: (row data withheld)\npg_restore: error: could not execute query");
        assert.equal(withoutRowData("spawn /usr/bin/pg_dump ENOENT"), "spawn /usr/bin/pg_dump ENOENT");
    });

    it("withholds each line's data in a whole stderr tail, and nothing else", () => {
        const tail = ["pg_restore: error: COPY failed for table \"api_keys\": ERROR:  x", "DETAIL:  Failing row contains (1, secret-1).", 'CONTEXT:  COPY api_keys, line 1: "1\tsecret-1"', "pg_restore: warning: errors ignored on restore: 1"].join("\n");
        const out = withoutRowData(tail);
        assert.ok(!out.includes("secret-1"), out);
        assert.equal(out.split("\n").length, 4);
        assert.match(out, /errors ignored on restore: 1$/);
    });
});
