import { strict as assert } from "node:assert";
import fc from "fast-check";
import { archiveHeaderProblem } from "../../../../lambdas/dump/archive";
import { classifyConnectError } from "../../../../lambdas/dump/dump";
import { DatabaseAuthError, DatabaseUnreachableError, PgDumpVersionError } from "../../../../lambdas/dump/errors";
import { candidateTier, gfsTier, validateGfsPolicy, WEEKDAYS, type GfsPolicy } from "../../../../lambdas/dump/gfs";
import { checkDumpVersion, compressionArgs, parseCompression, pgDumpArgs, pgDumpEnv } from "../../../../lambdas/dump/pgDump";
import { dumpKey } from "../../../../lambdas/shared/keys";

const DAY_MS = 86_400_000;

describe("GFS tier", () => {
    const policy: GfsPolicy = { weeklyOn: "sunday", monthlyOnDay: 1 };

    it("follows the calendar for scheduled runs that are the first of their day", () => {
        // given dates with known weekdays (2026-03-01 is a Sunday and the 1st; 2026-03-08 a Sunday; 2026-04-01 a Wednesday)
        const cases: [string, string][] = [
            ["2026-03-01T00:00:00Z", "monthly"],
            ["2026-03-08T23:59:59Z", "weekly"],
            ["2026-03-09T00:00:00Z", "daily"],
            ["2026-04-01T12:00:00Z", "monthly"],
            ["2026-04-04T12:00:00Z", "daily"],
        ];
        for (const [iso, tier] of cases) {
            // when the tier is chosen
            const got = gfsTier(policy, { at: new Date(iso), trigger: "schedule", promotedToday: false });
            // then it is the calendar's
            assert.equal(got, tier, iso);
        }
    });

    it("uses the UTC day, not the local one", () => {
        // given 23:30 UTC on Saturday 2026-03-07, which is already Sunday east of UTC
        const at = new Date("2026-03-07T23:30:00Z");
        // when the tier is chosen
        // then it is still Saturday's: daily
        assert.equal(gfsTier(policy, { at, trigger: "schedule", promotedToday: false }), "daily");
    });

    it("never promotes on-demand runs or a second run of the same day (property)", () => {
        fc.assert(
            fc.property(
                fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
                fc.constantFrom(...WEEKDAYS),
                fc.integer({ min: 1, max: 28 }),
                fc.constantFrom("schedule" as const, "on-demand" as const),
                fc.boolean(),
                (at, weeklyOn, monthlyOnDay, trigger, promotedToday) => {
                    // given any date, policy and run
                    const p = { weeklyOn, monthlyOnDay };
                    // when the tier is chosen
                    const tier = gfsTier(p, { at, trigger, promotedToday });
                    // then promotion happens only for a first scheduled run on a promotion day
                    if (trigger === "on-demand" || promotedToday) {
                        return tier === "daily";
                    }
                    return tier === candidateTier(p, at);
                },
            ),
        );
    });

    it("promotes exactly one day per week to weekly-or-monthly, and every monthly day once a month (property)", () => {
        fc.assert(
            fc.property(
                fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-01-01T00:00:00Z"), noInvalidDate: true }),
                fc.constantFrom(...WEEKDAYS),
                fc.integer({ min: 1, max: 28 }),
                (start, weeklyOn, monthlyOnDay) => {
                    // given seven consecutive UTC days
                    const p = { weeklyOn, monthlyOnDay };
                    const days = Array.from({ length: 7 }, (_, i) => new Date(start.getTime() + i * DAY_MS));
                    // when each day's candidate tier is computed
                    const tiers = days.map((d) => candidateTier(p, d));
                    // then the weekly day is promoted (weekly, or monthly when both fall together), and monthly only on its day
                    const weeklyDay = days.find((d) => WEEKDAYS[d.getUTCDay()] === weeklyOn);
                    const ok = weeklyDay !== undefined && candidateTier(p, weeklyDay) !== "daily";
                    const monthlyOnlyOnDay = days.every((d, i) => (tiers[i] === "monthly") === (d.getUTCDate() === monthlyOnDay));
                    return ok && monthlyOnlyOnDay;
                },
            ),
        );
    });

    it("rejects a weekday or day of month outside the allowed set", () => {
        // given invalid policies
        // when validated
        // then the message names the field and the range
        assert.throws(() => validateGfsPolicy({ weeklyOn: "funday" as GfsPolicy["weeklyOn"], monthlyOnDay: 1 }), /weeklyOn: "funday" is not allowed/);
        assert.throws(() => validateGfsPolicy({ weeklyOn: "monday", monthlyOnDay: 29 }), /monthlyOnDay: 29 is out of range 1\.\.28/);
        assert.throws(() => validateGfsPolicy({ weeklyOn: "monday", monthlyOnDay: 0 }), /monthlyOnDay: 0 is out of range/);
    });
});

describe("dump keys", () => {
    it("differ whenever the run ids differ, even at the same instant (property)", () => {
        fc.assert(
            fc.property(
                fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
                fc.stringMatching(/^[0-9a-f]{12}$/),
                fc.stringMatching(/^[0-9a-f]{12}$/),
                (at, a, b) => {
                    // given two runs at the same instant
                    // when their keys are built
                    const ka = dumpKey("backups", "app", "daily", at, a);
                    const kb = dumpKey("backups", "app", "daily", at, b);
                    // then they collide only if the run ids do
                    return (ka === kb) === (a === b);
                },
            ),
        );
    });
});

describe("pg_dump invocation", () => {
    it("parses compression specs and refuses bad ones with the allowed values", () => {
        // given specs as an operator would write them
        // when parsed
        // then fast defaults fill a missing level, and bad specs are named
        assert.deepEqual(parseCompression("gzip"), { method: "gzip", level: 1 });
        assert.deepEqual(parseCompression("ZSTD:3"), { method: "zstd", level: 3 });
        assert.deepEqual(parseCompression("none"), { method: "none", level: 0 });
        assert.throws(() => parseCompression("brotli:5", "DUMP_COMPRESSION"), /DUMP_COMPRESSION: "brotli:5" is not allowed; expected gzip\[:1-9\]/);
        assert.throws(() => parseCompression("gzip:0"), /gzip level 0 is out of range 1\.\.9/);
        assert.throws(() => parseCompression("lz4:x"), /level "x" in "lz4:x" is not an integer/);
        assert.throws(() => parseCompression("zstd:23"), /zstd level 23 is out of range 1\.\.22/);
    });

    it("uses -Z for clients before 16 and --compress=method:level from 16 on", () => {
        // given a compression and client versions
        // when the arguments are built
        // then they match each client's syntax, and lz4/zstd on 15 are refused
        assert.deepEqual(compressionArgs({ method: "gzip", level: 1 }, 15), ["-Z", "1"]);
        assert.deepEqual(compressionArgs({ method: "none", level: 0 }, 15), ["-Z", "0"]);
        assert.deepEqual(compressionArgs({ method: "zstd", level: 3 }, 16), ["--compress=zstd:3"]);
        assert.deepEqual(compressionArgs({ method: "none", level: 0 }, 17), ["--compress=none"]);
        assert.throws(() => compressionArgs({ method: "zstd", level: 3 }, 15), PgDumpVersionError);
    });

    it("passes the snapshot and large objects, and no connection details, on the command line", () => {
        // given a snapshot id
        // when the full argument list is built
        const args = pgDumpArgs("00000003-0000001B-1", { method: "gzip", level: 1 }, 15);
        // then it asks for the custom format, blobs and that snapshot, never prompts, and leaves gzip to the pipeline
        assert.deepEqual(args, ["--format=custom", "--blobs", "--snapshot=00000003-0000001B-1", "--no-password", "-Z", "0"]);
        assert.deepEqual(pgDumpArgs("s", { method: "gzip", level: 9 }, 17).slice(-1), ["--compress=none"]);
        // and every other method stays with pg_dump
        assert.deepEqual(pgDumpArgs("s", { method: "zstd", level: 3 }, 16).slice(-1), ["--compress=zstd:3"]);
        assert.deepEqual(pgDumpArgs("s", { method: "none", level: 0 }, 15).slice(-2), ["-Z", "0"]);
    });

    it("gives pg_dump the password through PGPASSWORD and none of the function's AWS credentials", () => {
        // given a parent environment with AWS credentials
        const parent = { PATH: "/usr/bin", AWS_SECRET_ACCESS_KEY: "aws-secret", AWS_SESSION_TOKEN: "token", LANG: "C.UTF-8" };
        // when the child environment is built
        const env = pgDumpEnv({ host: "db.internal", port: 5433, user: "backup", password: "pw", database: "app", sslmode: "require" }, parent);
        // then it has the libpq variables and nothing else from AWS
        assert.equal(env.PGPASSWORD, "pw");
        assert.equal(env.PGHOST, "db.internal");
        assert.equal(env.PGPORT, "5433");
        assert.equal(env.PGSSLMODE, "require");
        assert.equal(env.PATH, "/usr/bin");
        assert.equal(Object.keys(env).some((k) => k.startsWith("AWS_")), false);
    });

    it("accepts pg_dump of the server's major or newer, and refuses an older one", () => {
        // given client and server majors
        // when checked
        // then only older clients are refused, naming both versions
        checkDumpVersion(15, 15, "pg_dump (PostgreSQL) 15.18", "15.18");
        checkDumpVersion(16, 13, "pg_dump (PostgreSQL) 16.4", "13.2");
        assert.throws(
            () => checkDumpVersion(15, 16, "pg_dump (PostgreSQL) 15.18", "16.4"),
            /pg_dump 15 \("pg_dump \(PostgreSQL\) 15\.18"\) is older than the server 16 \(16\.4\)/,
        );
    });
});

describe("archive header", () => {
    const header = (format: number): Buffer => Buffer.from([0x50, 0x47, 0x44, 0x4d, 0x50, 1, 14, 0, 4, 8, format, 0]);

    it("accepts a custom-format header and names what is wrong with anything else", () => {
        // given headers of several shapes
        // when checked
        // then only the custom format passes
        assert.equal(archiveHeaderProblem(header(1)), undefined);
        assert.match(archiveHeaderProblem(header(3)) ?? "", /format 3, expected 1 \(custom\)/);
        assert.match(archiveHeaderProblem(Buffer.from("-- PostgreSQL database dump")) ?? "", /no "PGDMP" magic/);
        assert.match(archiveHeaderProblem(Buffer.from("PGDMP")) ?? "", /cut short at 5 bytes/);
        assert.match(archiveHeaderProblem(Buffer.alloc(0)) ?? "", /first bytes: none/);
    });
});

describe("connection errors", () => {
    it("tells credential problems from unreachable servers by SQLSTATE", () => {
        // given errors as node-postgres reports them
        const wrongPassword = Object.assign(new Error("password authentication failed for user \"x\""), { code: "28P01" });
        const noDatabase = Object.assign(new Error("database \"nope\" does not exist"), { code: "3D000" });
        const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
        // when classified
        // then each gets its class
        assert.ok(classifyConnectError(wrongPassword, "u@h:1/d") instanceof DatabaseAuthError);
        assert.ok(classifyConnectError(noDatabase, "u@h:1/d") instanceof DatabaseAuthError);
        const unreachable = classifyConnectError(refused, "u@h:1/d");
        assert.ok(unreachable instanceof DatabaseUnreachableError);
        assert.match(unreachable.message, /u@h:1\/d is unreachable: connect ECONNREFUSED .* \(ECONNREFUSED\)/);
        assert.ok(classifyConnectError(new Error("Connection terminated due to connection timeout"), "w") instanceof DatabaseUnreachableError);
    });
});
