import { strict as assert } from "node:assert";
import {
    BACKUP_BLOB_DATA_ACTIONS,
    BLOB_REMOVING_DATA_ACTIONS,
    CONSUMPTION_CPUS,
    JOB_NAME,
    RESULT_KEY,
    RUN_TIMEOUT_GRACE_SECONDS,
    backupBlobWriterRole,
    consumptionSizeProblems,
    cronLongestGapMinutes,
    cronProblem,
    failedExecutionAlert,
    failedExecutionQuery,
    failedJobAlert,
    jobEnvironment,
    jobName,
    jobTimeouts,
    missingSuccessAlert,
    registryName,
    resultLineQuery,
} from "../../../../../components/azure/documents/jobs";
import { environmentProblems } from "../../../../../components/aws/functionEnv";

/** One row of a Log Analytics table, as the query sees it. */
type Row = Readonly<Record<string, string>> & { readonly $table: string };

/** KQL `has`: the term appears bounded by non-alphanumeric characters, case-insensitive. */
function has(text: string, term: string): boolean {
    const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^A-Za-z0-9])${escaped}($|[^A-Za-z0-9])`, "i").test(text);
}

/**
 * KQL parse_json: valid JSON becomes its value; anything else stays a string
 * (https://learn.microsoft.com/kusto/query/parse-json-function).
 */
function parseJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

/** Property access on a dynamic value: null unless it is an object with the property. */
function member(value: unknown, key: string): unknown {
    return value !== null && typeof value === "object" && !Array.isArray(value) && key in value ? (value as Record<string, unknown>)[key] : null;
}

/** KQL tostring(): null is "", strings stay, other values are their JSON. */
function toKqlString(value: unknown): string {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Runs the subset of KQL the builders write (table; where <column> has "<term>"; extend x =
 * parse_json(<column>).<key>; where tostring(x.<field>) == "<value>" and ...; where <column> in
 * (...)) over rows; anything else fails the test, so a changed query cannot pass unread.
 */
function runQuery(query: string, rows: readonly Row[]): Row[] {
    const [table, ...steps] = query.split("\n");
    let current: { row: Row; vars: Record<string, unknown> }[] = rows.filter((r) => r.$table === table).map((row) => ({ row, vars: {} }));
    for (const step of steps) {
        let m: RegExpExecArray | null;
        if ((m = /^\| where (\w+) has "([^"]+)"$/.exec(step)) !== null) {
            const [, column, term] = m as unknown as [string, string, string];
            current = current.filter(({ row }) => has(row[column] ?? "", term));
        } else if ((m = /^\| extend (\w+) = parse_json\((\w+)\)\.(\w+)$/.exec(step)) !== null) {
            const [, name, column, key] = m as unknown as [string, string, string, string];
            current = current.map(({ row, vars }) => ({ row, vars: { ...vars, [name]: member(parseJson(row[column] ?? ""), key) } }));
        } else if ((m = /^\| where (\w+) in \(((?:"[^"]+"(?:, )?)+)\)$/.exec(step)) !== null) {
            const [, column, list] = m as unknown as [string, string, string];
            const values = [...list.matchAll(/"([^"]+)"/g)].map((v) => v[1]);
            current = current.filter(({ row }) => values.includes(row[column] ?? ""));
        } else if (step.startsWith("| where tostring(")) {
            const clauses = step.slice("| where ".length).split(" and ").map((clause) => {
                const c = /^tostring\((\w+)\.(\w+)\) == "([^"]*)"$/.exec(clause);
                if (c === null) throw new Error(`unsupported clause: ${clause}`);
                return { name: c[1]!, field: c[2]!, value: c[3]! };
            });
            current = current.filter(({ vars }) => clauses.every((c) => toKqlString(member(vars[c.name], c.field)) === c.value));
        } else {
            throw new Error(`unsupported step: ${step}`);
        }
    }
    return current.map(({ row }) => row);
}

const consoleRow = (log: string): Row => ({ $table: "ContainerAppConsoleLogs_CL", Log_s: log });
const result = (r: Record<string, string>): string => JSON.stringify({ [RESULT_KEY]: r });

const SAMPLE_ROWS: readonly Row[] = [
    consoleRow(result({ kind: "dump", database: "blog", outcome: "succeeded", key: "backups/blog/daily/x.dump" })),
    consoleRow(result({ kind: "dump", database: "blog", outcome: "failed", error: "connection refused" })),
    consoleRow(result({ kind: "dump", database: "shop", outcome: "failed", error: "timeout" })),
    consoleRow(result({ kind: "verify", database: "blog", outcome: "failed", error: "row counts differ" })),
    consoleRow(result({ kind: "dump", database: "blog-archive", outcome: "failed" })),
    consoleRow(`{"level":"ERROR","message":"dump failed","${RESULT_KEY}":"not an object"}`),
    consoleRow(`{"message":"the ${RESULT_KEY} line follows","kind":"dump","database":"blog","outcome":"failed"}`),
    consoleRow(`2026-11-30T02:00:00Z ${result({ kind: "dump", database: "blog", outcome: "failed" })}`),
    consoleRow(`{"${RESULT_KEY}":{"kind":"dump","database":"blog","outcome":"failed"`),
    { $table: "ContainerAppSystemLogs_CL", Log_s: result({ kind: "dump", database: "blog", outcome: "failed" }) },
];

describe("Azure runner documents", () => {
    describe("Consumption sizes", () => {
        it("offers 0.25 to 4 vCPU in 0.25 steps, each with exactly twice as many GiB", () => {
            // then the table is the documented one
            assert.equal(CONSUMPTION_CPUS.length, 16);
            assert.equal(CONSUMPTION_CPUS[0], 0.25);
            assert.equal(CONSUMPTION_CPUS[15], 4);
            for (const cpu of CONSUMPTION_CPUS) assert.deepEqual(consumptionSizeProblems(cpu, cpu * 2), [], `${cpu}`);
        });

        it("refuses a memory that is not twice the CPU, and a CPU off the steps, naming the key and what is allowed", () => {
            assert.deepEqual(consumptionSizeProblems(1, 4), [{ key: "memoryGi", value: 4, message: "is not allowed with cpu 1; the Consumption profile allows 2 only (2 GiB per vCPU)" }]);
            assert.equal(consumptionSizeProblems(0.3, 0.6)[0]?.key, "cpu");
            assert.equal(consumptionSizeProblems(4.25, 8.5)[0]?.key, "cpu");
            assert.match(consumptionSizeProblems(8, 16)[0]?.message ?? "", /allowed: 0\.25, 0\.5, .*, 4 \(vCPU\)/);
        });
    });

    describe("cron schedules", () => {
        for (const good of ["0 2 * * *", "*/15 * * * *", "30 4 * * 1-5", "0 0,12 1 * *", "5 3 1-7 1,4,7,10 0"]) {
            it(`accepts "${good}"`, () => assert.equal(cronProblem(good), undefined));
        }
        for (const [bad, why] of [
            ["cron(0 2 * * ? *)", /fields/],
            ["0 2 * * ? *", /6 fields/],
            ["60 2 * * *", /minute field "60"/],
            ["0 24 * * *", /hour field "24"/],
            ["0 2 * * MON", /day of week field "MON"/],
            ["0 2 0 * *", /day of month field "0"/],
            ["0 5-2 * * *", /hour field "5-2"/],
            ["*/0 * * * *", /minute field/],
        ] as const) {
            it(`refuses "${bad}"`, () => assert.match(cronProblem(bad) ?? "", why));
        }
    });

    describe("longest gap of a cron schedule", () => {
        const cases: [string, number][] = [
            ["0 2 * * *", 1440],
            ["*/15 * * * *", 15],
            ["0 0,12 * * *", 720],
            ["0 9-17 * * *", 16 * 60],
            ["0 2 * * 1-5", 3 * 1440],
            ["0 2 * * 0", 7 * 1440],
            ["5/20 * * * *", 20],
            ["50/20 * * * *", 60],
            ["0 3 1 * *", 31 * 1440],
            ["0 3 1,15 * 0", 7 * 1440],
        ];
        for (const [expression, minutes] of cases) {
            it(`"${expression}": ${minutes} minutes`, () => assert.equal(cronLongestGapMinutes(expression), minutes));
        }
        it("a schedule that runs at most once a year has no bounded gap", () => {
            assert.equal(cronLongestGapMinutes("0 0 29 2 *"), Infinity);
            assert.equal(cronLongestGapMinutes("0 0 31 2 *"), Infinity);
        });
        it("refuses an invalid schedule", () => assert.throws(() => cronLongestGapMinutes("0 2 * *"), /4 fields/));
    });

    describe("job names", () => {
        it("are <target>-<environment>-<kind> when that fits", () => {
            assert.equal(jobName("blog", "prod", "dump"), "blog-prod-dump");
        });

        it("stay valid, distinct and stable when the target's name is long", () => {
            // given two long targets that share their first 20 characters
            const a = jobName("customer-analytics-eu-primary", "staging", "verify");
            const b = jobName("customer-analytics-eu-secondary", "staging", "verify");
            // then both are valid job names, different, and the same on every call
            for (const n of [a, b]) assert.match(n, JOB_NAME);
            assert.notEqual(a, b);
            assert.equal(a, jobName("customer-analytics-eu-primary", "staging", "verify"));
            assert.ok(a.endsWith("-verify"));
        });

        it("JOB_NAME refuses what Container Apps refuses", () => {
            for (const bad of ["Blog-dump", "1blog", "blog--dump", "blog-", "a".repeat(32)]) assert.doesNotMatch(bad, JOB_NAME, bad);
            assert.match("a".repeat(31), JOB_NAME);
        });
    });

    it("registry names are 5-50 letters and digits", () => {
        assert.equal(registryName("prod", "0a1b2c3d"), "pgbackupprod0a1b2c3d");
        assert.match(registryName("x".repeat(40), "0a1b2c3d"), /^[a-z0-9]{5,50}$/);
        assert.equal(registryName("x".repeat(40), "0a1b2c3d").length, 50);
        assert.throws(() => registryName("prod", "XY"), /suffix/);
    });

    it("the handler's deadline ends before the replica's timeout, so a run out of time still reports", () => {
        const t = jobTimeouts(60);
        assert.equal(t.replicaTimeout, 3600);
        assert.equal(t.runTimeoutSeconds, 3600 - RUN_TIMEOUT_GRACE_SECONDS);
        assert.throws(() => jobTimeouts(4), /at least 5/);
    });

    describe("blob role", () => {
        it("writes, reads, tags and sets immutability, and can remove nothing", () => {
            const role = backupBlobWriterRole("prod", "rg-db");
            const [permission] = role.permissions;
            for (const action of ["blobs/write", "blobs/read", "blobs/tags/write", "blobs/immutableStorage/runAsSuperUser/action"]) {
                assert.ok(permission.dataActions.includes(`Microsoft.Storage/storageAccounts/blobServices/containers/${action}`), action);
            }
            for (const removing of BLOB_REMOVING_DATA_ACTIONS) {
                assert.ok(!permission.dataActions.includes(removing), removing);
                assert.ok(permission.notDataActions.includes(removing), `${removing} is excluded explicitly`);
            }
            assert.ok(permission.dataActions.every((a) => !a.includes("*")), "no wildcard data action");
            assert.deepEqual(permission.actions, [], "no control-plane action");
            assert.deepEqual(permission.dataActions, [...BACKUP_BLOB_DATA_ACTIONS]);
            assert.match(role.roleName, /prod.*rg-db/);
        });
    });

    describe("job environment", () => {
        const input = {
            blobEndpoint: "https://blogfiles.blob.core.windows.net/",
            containerName: "backups",
            prefix: "backups",
            clientId: "11111111-2222-3333-4444-555555555555",
            runTimeoutSeconds: 14280,
            target: "blog",
            host: "blog-prod.postgres.database.azure.com",
            databaseName: "app",
            credential: { keyVaultSecretName: "blog-login" },
            vaultUri: "https://kv-prod.vault.azure.net/",
            server: { subscriptionId: "sub", resourceGroup: "rg-db", serverName: "blog-prod" },
            settings: { WEEKLY_ON: "sunday" },
        };
        const asRecord = (vars: { name: string; value: string }[]): Record<string, string> => Object.fromEntries(vars.map((v) => [v.name, v.value]));

        it("a dump job gets the storage contract, its identity, its deadline and a Key Vault secret's URI", () => {
            const env = asRecord(jobEnvironment("dump", input));
            assert.equal(env["STORAGE_PROVIDER"], "azure-blob");
            assert.equal(env["AZURE_BLOB_ENDPOINT"], "https://blogfiles.blob.core.windows.net");
            assert.equal(env["BACKUP_CONTAINER"], "backups");
            assert.equal(env["BACKUP_PREFIX"], "backups");
            assert.equal(env["AZURE_CLIENT_ID"], input.clientId);
            assert.equal(env["RUN_TIMEOUT_SECONDS"], "14280");
            assert.equal(env["DB_KEYVAULT_SECRET_URI"], "https://kv-prod.vault.azure.net/secrets/blog-login");
            assert.equal(env["DATABASE_NAME"], "blog");
            assert.equal(env["DB_HOST"], input.host);
            assert.equal(env["DB_NAME"], "app");
            assert.equal(env["DB_SSLMODE"], "require");
            assert.equal(env["WEEKLY_ON"], "sunday");
            assert.equal(env["BACKUP_BUCKET"], undefined);
            assert.deepEqual(environmentProblems(env), [], "no variable names or holds a credential");
        });

        it("verify gets the VERIFY_DB_ prefix, an Entra role when so configured, and its server for the freshness check", () => {
            const env = asRecord(jobEnvironment("verify", { ...input, credential: { entraUser: "pg-backup-runner" }, settings: {} }));
            assert.equal(env["VERIFY_DB_ENTRA_USER"], "pg-backup-runner");
            assert.equal(env["VERIFY_DB_HOST"], input.host);
            assert.equal(env["DB_HOST"], undefined);
            assert.equal(env["DB_KEYVAULT_SECRET_URI"], undefined);
            assert.deepEqual(JSON.parse(env["AZURE_SERVERS"] ?? ""), [{ name: "blog", resourceGroup: "rg-db", serverName: "blog-prod" }]);
            assert.equal(env["AZURE_SUBSCRIPTION_ID"], "sub");
        });

        it("is sorted by name", () => {
            const names = jobEnvironment("dump", input).map((v) => v.name);
            assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
        });

        it("refuses AWS storage variables and variables the runner sets itself", () => {
            for (const name of ["BACKUP_BUCKET", "DB_SECRET_ARN", "KMS_KEY_ID", "DB_HOST", "VERIFY_DB_HOST", "AZURE_SERVERS"]) {
                assert.throws(() => jobEnvironment("dump", { ...input, settings: { [name]: "x" } }), new RegExp(`settings\\.${name}`));
            }
        });

        it("refuses a Key Vault secret without a vault", () => {
            const { vaultUri: _ignored, ...withoutVault } = input;
            assert.throws(() => jobEnvironment("dump", withoutVault), /blog-login.*needs a Key Vault/);
        });
    });

    describe("result-line queries, run over sample rows", () => {
        it("the failed-dump query selects exactly the failed dump lines of its database", () => {
            const rows = runQuery(resultLineQuery({ kind: "dump", database: "blog", outcome: "failed" }), SAMPLE_ROWS);
            assert.deepEqual(rows, [SAMPLE_ROWS[1]]);
        });

        it("the succeeded-dump query selects the success line only", () => {
            const rows = runQuery(resultLineQuery({ kind: "dump", database: "blog", outcome: "succeeded" }), SAMPLE_ROWS);
            assert.deepEqual(rows, [SAMPLE_ROWS[0]]);
        });

        it("a database whose name starts like another's is not mixed up with it", () => {
            const rows = runQuery(resultLineQuery({ kind: "dump", database: "blog-archive", outcome: "failed" }), SAMPLE_ROWS);
            assert.deepEqual(rows, [SAMPLE_ROWS[4]]);
        });

        it("lines that mention the key but are not result objects never match", () => {
            // given only the look-alike lines (key as a string, fields at the top level, a prefix, a cut line)
            const lookalikes = SAMPLE_ROWS.slice(5, 9);
            for (const outcome of ["failed", "succeeded"] as const) {
                assert.deepEqual(runQuery(resultLineQuery({ kind: "dump", database: "blog", outcome }), lookalikes), []);
            }
        });

        it("the failed-job alert fires on one failed line; the missing-backup alert fires on zero success lines", () => {
            // given the alert definitions
            const failed = failedJobAlert("verify", "blog").criteria.allOf[0];
            const missing = missingSuccessAlert("dump", "blog", 26);
            const criterion = missing.criteria.allOf[0];
            // when their queries run over the samples
            const failedCount = runQuery(failed.query, SAMPLE_ROWS).length;
            const successCount = runQuery(criterion.query, SAMPLE_ROWS).length;
            const successWithoutIt = runQuery(criterion.query, SAMPLE_ROWS.slice(1)).length;
            // then the comparisons of the rules say what the names promise
            const fires = (c: { operator: string; threshold: number }, n: number): boolean => (c.operator === "GreaterThan" ? n > c.threshold : n < c.threshold);
            assert.equal(fires(failed, failedCount), true);
            assert.equal(fires(failed, 0), false);
            assert.equal(fires(criterion, successCount), false);
            assert.equal(fires(criterion, successWithoutIt), true);
            assert.equal(missing.overrideQueryTimeRange, "PT26H");
            assert.equal(criterion.timeAggregation, "Count");
        });

        it("the missing-backup window is at most the two days a log search alert looks back", () => {
            assert.equal(missingSuccessAlert("dump", "blog", 48).overrideQueryTimeRange, "PT48H");
            assert.throws(() => missingSuccessAlert("dump", "blog", 49), /1\.\.48/);
            assert.throws(() => missingSuccessAlert("dump", "blog", 0), /1\.\.48/);
        });

        it("refuses values that could break out of a KQL string", () => {
            assert.throws(() => resultLineQuery({ kind: "dump", database: 'blog" or 1==1', outcome: "failed" }), /database/);
        });

        it("the execution-failure query selects the platform's give-up events of the runner's jobs only", () => {
            const system = (job: string, reason: string): Row => ({ $table: "ContainerAppSystemLogs_CL", JobName_s: job, Reason_s: reason, Log_s: "" });
            const rows = [
                system("blog-prod-dump", "BackoffLimitExceeded"),
                system("blog-prod-verify", "DeadlineExceeded"),
                system("blog-prod-dump", "Completed"),
                system("other-job", "BackoffLimitExceeded"),
            ];
            assert.deepEqual(runQuery(failedExecutionQuery(["blog-prod-verify", "blog-prod-dump"]), rows), rows.slice(0, 2));
            assert.equal(failedExecutionAlert(["blog-prod-dump"]).criteria.allOf[0].operator, "GreaterThan");
            assert.throws(() => failedExecutionQuery([]), /at least one job/);
        });
    });
});
