import assert from "node:assert/strict";
import { ArgumentError } from "../../../cli/args";
import { parseDrillArgs } from "../../../cli/drill/args";
import { parseListArgs } from "../../../cli/list";
import { parseRestoreArgs } from "../../../cli/restore";
import { clientConfig, libpqEnv, parsePostgresUrl, redactUrl } from "../../../lambdas/shared/pgTarget";
import { majorOfToolVersion, majorOfVersionNum } from "../../../lambdas/shared/pgTools";

const BASE = ["--bucket", "my-backups", "--database", "orders", "--target-url", "postgres://admin@db.internal:5433/orders_copy"];

describe("CLI restore arguments", () => {
    it("parses a full command line", () => {
        // given every option
        const args = [...BASE, "--latest", "--overwrite", "--jobs", "8", "--s3-endpoint", "http://127.0.0.1:9000", "--prefix", "dumps", "--no-privileges", "--c-locale"];
        // when parsed
        const parsed = parseRestoreArgs(args, {});
        // then each lands where it belongs
        assert.deepEqual(parsed, {
            bucket: "my-backups",
            database: "orders",
            selector: { latest: true },
            skipUnusableNewer: false,
            target: { host: "db.internal", port: 5433, user: "admin", database: "orders_copy" },
            overwrite: true,
            overwriteSource: false,
            jobs: 8,
            noPrivileges: true,
            keepOwner: false,
            cLocale: true,
            prefix: "dumps",
            s3Endpoint: "http://127.0.0.1:9000",
            json: false,
        });
    });

    it("takes --before as a time and the password from PGPASSWORD when the URL has none", () => {
        const parsed = parseRestoreArgs([...BASE, "--before=2026-11-21T12:00:00Z"], { PGPASSWORD: "from-env" });
        assert.deepEqual(parsed?.selector, { before: new Date("2026-11-21T12:00:00Z") });
        assert.deepEqual(parseRestoreArgs([...BASE, "--before", "2026-11-21T13:30:00+01:30"], {})?.selector, { before: new Date("2026-11-21T12:00:00Z") });
        assert.equal(parsed?.target.password, "from-env");
        assert.equal(parsed?.overwrite, false);
    });

    it("returns undefined for --help", () => {
        assert.equal(parseRestoreArgs(["--help"], {}), undefined);
    });

    const refusals: [string, readonly string[], string][] = [
        ["no selector", BASE, "--key, --latest or --before: missing; expected exactly one of them to choose the backup"],
        ["two selectors", [...BASE, "--latest", "--before", "2026-01-01"], "--latest, --before: given together; expected exactly one of --key, --latest, --before"],
        ["an unknown option", [...BASE, "--latest", "--force"], "--force: unknown option; allowed: --bucket,"],
        ["a missing bucket", ["--database", "orders", "--latest", "--target-url", "postgres://u@h/db"], "--bucket: missing; expected an S3 bucket name"],
        ["a bad bucket", [...BASE, "--latest", "--bucket", "My_Bucket"].slice(2), '--bucket: "My_Bucket" is not allowed; expected an S3 bucket name'],
        ["a bad time", [...BASE, "--before", "yesterday"], '--before: "yesterday" is not allowed; expected an ISO-8601 time with a zone such as 2026-11-21T12:00:00Z'],
        ["a time without a zone", [...BASE, "--before", "2026-11-21T12:00:00"], '--before: "2026-11-21T12:00:00" has no time zone; expected an ISO-8601 time with a zone such as 2026-11-21T12:00:00Z'],
        ["a date without a time", [...BASE, "--before", "2026-11-21"], '--before: "2026-11-21" has no time zone; expected an ISO-8601 time with a zone such as 2026-11-21T12:00:00Z'],
        ["jobs out of range", [...BASE, "--latest", "--jobs", "65"], '--jobs: "65" is not allowed; expected an integer 1..64'],
        ["jobs not a number", [...BASE, "--latest", "--jobs", "2.5"], '--jobs: "2.5" is not allowed; expected an integer 1..64'],
        ["a flag with a value", [...BASE, "--latest", "--overwrite=yes"], '--overwrite: "yes" is not allowed; --overwrite is a flag and takes no value'],
        ["a missing value", [...BASE, "--latest", "--jobs"], "--jobs: missing value; expected N"],
        ["an option given twice", [...BASE, "--latest", "--latest"], "--latest: given more than once"],
        ["a positional argument", [...BASE, "--latest", "orders"], '"orders": unexpected argument; options are --bucket,'],
        ["a non-postgres target", ["--bucket", "my-backups", "--database", "orders", "--latest", "--target-url", "mysql://u@h/db"], '--target-url: scheme "mysql:" is not allowed; expected postgres:// or postgresql://'],
        ["a target without database", ["--bucket", "my-backups", "--database", "orders", "--latest", "--target-url", "postgres://u:secret@h:5432/"], "--target-url: no database name in postgres://u:***@h:5432/"],
        ["a bad endpoint", [...BASE, "--latest", "--s3-endpoint", "ftp://x"], '--s3-endpoint: "ftp://x" is not allowed; expected an http:// or https:// URL'],
        ["--skip-unusable-newer with --key", [...BASE, "--key", "k", "--skip-unusable-newer"], "--skip-unusable-newer: not allowed with --key; it applies to --latest and --before only"],
        ["--overwrite-source without --overwrite", [...BASE, "--latest", "--overwrite-source"], "--overwrite-source: only with --overwrite"],
        [
            "a password with an unencoded / ? or #",
            ["--bucket", "my-backups", "--database", "orders", "--latest", "--target-url", "postgres://u:a/b?c#d@db.internal:5432/x"],
            '--target-url: "postgres://u:***@db.internal:5432/x" has a "/", "?" or "#" before its last "@"',
        ],
    ];
    for (const [what, args, message] of refusals) {
        it(`refuses ${what}, naming the argument`, () => {
            // given a bad command line, when parsed, then the ArgumentError says what was wrong
            assert.throws(
                () => parseRestoreArgs(args, {}),
                (err: unknown) => err instanceof ArgumentError && err.message.startsWith(message),
            );
        });
    }

    it("never echoes the password of a refused URL", () => {
        assert.throws(
            () => parseRestoreArgs(["--bucket", "my-backups", "--database", "orders", "--latest", "--target-url", "postgres://u:hunter2@h:5432/"], {}),
            (err: unknown) => err instanceof ArgumentError && !err.message.includes("hunter2"),
        );
    });
});

describe("CLI list arguments", () => {
    it("defaults the prefix and parses --json", () => {
        assert.deepEqual(parseListArgs(["--bucket", "my-backups", "--database", "orders", "--json"]), { bucket: "my-backups", database: "orders", prefix: "backups", json: true });
    });

    it("refuses a database name with a slash", () => {
        assert.throws(() => parseListArgs(["--bucket", "my-backups", "--database", "a/b"]), /--database: "a\/b" is not allowed; expected 1\.\.63 of A-Z a-z 0-9 _ \. -/);
    });
});

describe("connection URLs", () => {
    it("parses host, port, user, password, database and sslmode", () => {
        const t = parsePostgresUrl("postgresql://app%40corp:p%2Fss@db.example.com:6432/my%20db?sslmode=verify-full", "url");
        assert.deepEqual(t, { host: "db.example.com", port: 6432, user: "app@corp", password: "p/ss", database: "my db", sslmode: "verify-full" });
        assert.deepEqual(clientConfig(t).ssl, { rejectUnauthorized: true });
    });

    it("passes the password to libpq tools only through PGPASSWORD", () => {
        const env = libpqEnv(parsePostgresUrl("postgres://u:s3cret@h/db?sslmode=require", "url"));
        assert.deepEqual(env, { PGHOST: "h", PGPORT: "5432", PGUSER: "u", PGDATABASE: "db", PGPASSWORD: "s3cret", PGSSLMODE: "require" });
    });

    it("takes a Unix socket directory from ?host=", () => {
        assert.equal(parsePostgresUrl("postgres://u@localhost/db?host=/var/run/postgresql", "url").host, "/var/run/postgresql");
    });

    it("redacts passwords", () => {
        assert.equal(redactUrl("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert.equal(redactUrl("postgres://u@h/db"), "postgres://u@h/db");
    });

    it("keeps every part of a password with a raw @ out of a URL error", () => {
        // given a URL whose password holds an unescaped "@" (the URL parser takes the last "@" of the authority) and no database
        const url = "postgres://admin:pa@ss@word@db.internal:5432/";
        // when it is parsed
        const err = (() => {
            try {
                parsePostgresUrl(url, "--target-url");
            } catch (e) {
                return e as Error;
            }
            return undefined;
        })();
        // then the error names the argument and the host, and holds no piece of the password
        assert.equal(err?.message, "--target-url: no database name in postgres://admin:***@db.internal:5432/; expected postgres://user@host:port/database");
        for (const piece of ["pa", "ss", "word"]) {
            assert.ok(!(err?.message ?? "").includes(`${piece}@`), `"${piece}" leaked: ${err?.message ?? ""}`);
        }
    });

    it("refuses an unknown sslmode and a database name over 63 bytes", () => {
        assert.throws(() => parsePostgresUrl("postgres://u@h/db?sslmode=always", "url"), /url: sslmode "always" is not allowed; expected one of disable, allow, prefer, require, verify-ca, verify-full/);
        assert.throws(() => parsePostgresUrl(`postgres://u@h/${"x".repeat(64)}`, "url"), /is 64 bytes; PostgreSQL identifiers are at most 63/);
    });
});

describe("PostgreSQL versions", () => {
    it("reads majors from tool output and server_version_num", () => {
        assert.equal(majorOfToolVersion("pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"), 15);
        assert.equal(majorOfToolVersion("pg_dump (PostgreSQL) 17beta1"), 17);
        assert.equal(majorOfToolVersion("pg_dump (PostgreSQL) 9.6.24"), 9.6);
        assert.equal(majorOfVersionNum(150018), 15);
        assert.equal(majorOfVersionNum(90624), 9.6);
        assert.throws(() => majorOfToolVersion("psql 15"), /cannot read a PostgreSQL version from "psql 15"/);
        assert.throws(() => majorOfVersionNum(15), /server_version_num 15 is not a PostgreSQL version number/);
    });
});

describe("CLI drill arguments", () => {
    it("defaults to a throwaway setup with an RTO of 60 and an RPO of 1440 minutes", () => {
        assert.deepEqual(parseDrillArgs([]), { bucket: "pg-backup-drill", rtoSeconds: 3600, rpoSeconds: 86_400, scale: 1, keep: false, verbose: false, json: false, dumpFormat: "custom" });
    });

    it("takes given endpoints and objectives", () => {
        const parsed = parseDrillArgs(["--database-url", "postgres://u@db:5432/app", "--s3-endpoint", "http://127.0.0.1:9000", "--bucket", "drills", "--rto-minutes", "15", "--json"], {});
        assert.deepEqual(parsed, { source: { host: "db", port: 5432, user: "u", database: "app" }, s3Endpoint: "http://127.0.0.1:9000", bucket: "drills", rtoSeconds: 900, rpoSeconds: 86_400, scale: 1, keep: false, verbose: false, json: true, dumpFormat: "custom" });
    });

    const refusals: [string, readonly string[], string][] = [
        ["a sample scale with a given database", ["--database-url", "postgres://u@db/app", "--scale", "2"], '--scale: "2" is not allowed with --database-url'],
        ["a scale of zero", ["--scale", "0"], '--scale: "0" is not allowed; expected a number > 0 and <= 100'],
        ["a database URL without a database", ["--database-url", "postgres://u@db"], "--database-url: no database name in postgres://u@db"],
        ["an RTO that is not a whole number of minutes", ["--rto-minutes", "1.5"], '--rto-minutes: "1.5" is not allowed; expected an integer 1..44640'],
    ];
    for (const [what, args, message] of refusals) {
        it(`refuses ${what}`, () => {
            assert.throws(() => parseDrillArgs(args), (err: unknown) => err instanceof ArgumentError && err.message.startsWith(message));
        });
    }

    describe("--cloud azure", () => {
        const AZURE = ["--cloud", "azure", "--blob-endpoint", "https://acct.blob.core.windows.net", "--container", "pg-backups", "--database", "orders"];

        it("reads the container and endpoint for list and restore", () => {
            const listed = parseListArgs(AZURE);
            assert.equal(listed?.bucket, "pg-backups");
            assert.equal(listed?.blobEndpoint, "https://acct.blob.core.windows.net");
            const restore = parseRestoreArgs([...AZURE, "--latest", "--target-url", "postgres://admin@db.internal:5433/orders_copy"], {});
            assert.equal(restore?.bucket, "pg-backups");
            assert.equal(restore?.blobEndpoint, "https://acct.blob.core.windows.net");
        });

        it("refuses S3 options with --cloud azure, Azure options without it, and bad values, naming the option", () => {
            for (const [args, message] of [
                [[...AZURE, "--bucket", "b-b-b"], "--bucket: not allowed with --cloud azure"],
                [[...AZURE, "--s3-endpoint", "http://127.0.0.1:9000"], "--s3-endpoint: not allowed with --cloud azure"],
                [["--container", "pg-backups", "--bucket", "b-b-b", "--database", "orders"], "--container: only with --cloud azure"],
                [["--cloud", "gcp", "--bucket", "b-b-b", "--database", "orders"], '--cloud: "gcp" is not allowed; expected aws or azure'],
                [["--cloud", "azure", "--container", "pg-backups", "--database", "orders"], "--blob-endpoint: missing; required with --cloud azure"],
                [["--cloud", "azure", "--blob-endpoint", "https://acct.blob.core.windows.net", "--container", "PG", "--database", "orders"], '--container: "PG" is not a valid container name'],
                [["--cloud", "azure", "--blob-endpoint", "http://acct.blob.core.windows.net", "--container", "pg-backups", "--database", "orders"], '--blob-endpoint: "http://acct.blob.core.windows.net" is not allowed'],
            ] as const) {
                assert.throws(() => parseListArgs(args), (err: unknown) => err instanceof ArgumentError && err.message.startsWith(message), message);
            }
        });

        it("runs the drill on Blob only when asked, and refuses S3 options with it", () => {
            assert.equal(parseDrillArgs([])?.cloud, undefined);
            assert.deepEqual(parseDrillArgs(["--cloud", "azure", "--container", "drills"]), { cloud: "azure", bucket: "drills", rtoSeconds: 3600, rpoSeconds: 86_400, scale: 1, keep: false, verbose: false, json: false, dumpFormat: "custom" });
            assert.throws(() => parseDrillArgs(["--cloud", "azure", "--container", "drills.v2"]), (err: unknown) => err instanceof ArgumentError && err.message.startsWith('--container: "drills.v2" is not a valid container name'));
            assert.throws(() => parseDrillArgs(["--cloud", "azure", "--bucket", "drills"]), (err: unknown) => err instanceof ArgumentError && err.message.startsWith("--bucket: not allowed with --cloud azure"));
            assert.throws(() => parseDrillArgs(["--blob-endpoint", "http://127.0.0.1:10000/devstoreaccount1"]), (err: unknown) => err instanceof ArgumentError && err.message.startsWith("--blob-endpoint: not allowed with --cloud aws"));
        });
    });
});
