import { strict as assert } from "node:assert";
import type { Context } from "aws-lambda";
import { hideSecret } from "../../../../lambdas/shared/redact";
import { databaseFromEnv, reportingResult, resultLine, RunReport } from "../../../../lambdas/shared/resultLine";
import { runOnce } from "../../../../lambdas/shared/runOnce";
import { coldStart, resultLines, restoreEnv } from "../../../helpers/lambda";

describe("the result line of a run", () => {
    it("is one JSON document under pgBackupStackResult, without a prefix", () => {
        // given a succeeded dump, when its line is built, then it is the contract's shape exactly
        assert.equal(
            resultLine({ kind: "dump", database: "orders", outcome: "succeeded", key: "backups/orders/daily/2026/11/30/x.dump" }),
            '{"pgBackupStackResult":{"kind":"dump","database":"orders","outcome":"succeeded","key":"backups/orders/daily/2026/11/30/x.dump"}}',
        );
    });

    it("is written once per run: the first outcome wins", () => {
        // given a report for one run
        const written: string[] = [];
        const report = new RunReport("export", "orders", (l) => written.push(l));
        // when a crash reports failure and the run then settles again
        report.failed(new Error("boom"));
        report.succeeded();
        report.failed(new Error("later"));
        // then only the first outcome is written
        assert.deepEqual(written.map((l) => JSON.parse(l)), [{ pgBackupStackResult: { kind: "export", database: "orders", outcome: "failed", error: "boom" } }]);
    });

    it("carries the error redacted: URL passwords and held tokens become ***", () => {
        // given an error quoting a URL with a password and a token the process holds
        const token = "eyJhbGciOi.held-token-for-the-result-line.sig";
        hideSecret(token);
        const written: string[] = [];
        // when a run fails with it
        new RunReport("verify", "orders", (l) => written.push(l)).failed(new Error(`connect postgres://app:S3cretPw@db/x failed with password ${token}`));
        // then neither the password nor the token is in the line
        assert.equal(JSON.parse(written[0] ?? "{}").pgBackupStackResult.error, "connect postgres://app:***@db/x failed with password ***");
    });

    it("reportingResult writes the success with the stored key, or the failure, and passes the outcome on", async () => {
        const written: string[] = [];
        const ok = await reportingResult(new RunReport("dump", "a", (l) => written.push(l)), async () => ({ key: "k1" }), (v) => v.key);
        await assert.rejects(reportingResult(new RunReport("dump", "b", (l) => written.push(l)), async () => Promise.reject(new Error("no"))), /^Error: no$/);
        assert.deepEqual(ok, { key: "k1" });
        assert.deepEqual(written.map((l) => JSON.parse(l).pgBackupStackResult), [
            { kind: "dump", database: "a", outcome: "succeeded", key: "k1" },
            { kind: "dump", database: "b", outcome: "failed", error: "no" },
        ]);
    });

    it("names the database from the environment alone when the configuration cannot be read", () => {
        assert.equal(databaseFromEnv("dump", { DATABASE_NAME: " orders " }), "orders");
        assert.equal(databaseFromEnv("export", {}), "");
        assert.equal(databaseFromEnv("verify", { VERIFY_DATABASES: " orders, ,billing " }), "orders,billing");
    });
});

describe("runOnce and the result line", () => {
    const lines: string[] = [];
    const run = (handler: string, env: Record<string, string>, load: () => Promise<Record<string, unknown>>) => runOnce(handler, env, load, (l) => lines.push(l));
    beforeEach(() => lines.splice(0));

    it("writes the failed line itself when the handler cannot be loaded, naming the database", async () => {
        // given a handler module whose cold start refuses its configuration
        const refusing = async (): Promise<Record<string, unknown>> => {
            throw new Error("KMS_KEY_ID is not set; it is required");
        };
        // when run
        const code = await run("export/handler.handler", { DATABASE_NAME: "orders" }, refusing);
        // then exactly one failed result line names the kind, the database and the error
        assert.equal(code, 1);
        assert.deepEqual(resultLines(lines), [{ kind: "export", database: "orders", outcome: "failed", error: "KMS_KEY_ID is not set; it is required" }]);
    });

    it("writes the failed line for a timeout it refuses, before any handler runs", async () => {
        let loaded = false;
        const code = await run("dump/handler.handler", { DATABASE_NAME: "orders", RUN_TIMEOUT_SECONDS: "5" }, async () => {
            loaded = true;
            return {};
        });
        assert.deepEqual([code, loaded], [1, false]);
        assert.deepEqual(resultLines(lines).map((r) => [r.kind, r.outcome, r.error]), [["dump", "failed", 'RUN_TIMEOUT_SECONDS: "5" is not allowed; expected whole seconds 60..1209600']]);
    });

    it("adds no line of its own once the handler was called: the handler writes it", async () => {
        // given handlers that resolve and that reject
        const resolving = async (): Promise<Record<string, unknown>> => ({ handler: async () => ({}) });
        const rejecting = async (): Promise<Record<string, unknown>> => ({ handler: async () => Promise.reject(new Error("x")) });
        // when run, then runOnce writes no result line
        assert.equal(await run("dump/handler.handler", {}, resolving), 0);
        assert.equal(await run("verify/handler.handler", {}, rejecting), 1);
        assert.deepEqual(resultLines(lines), []);
    });
});

describe("the verify handler's result line when its configuration is refused", () => {
    afterEach(restoreEnv);

    it("fails the cold start naming the variable, and runOnce writes one failed line naming the databases", async () => {
        // given the verify handler module without a maximum backup age, loaded as a container's cold start
        const env = { VERIFY_DATABASES: "orders,billing", BACKUP_BUCKET: "b", RTO_MINUTES: "60", VERIFY_DB_URL: "postgres://u:VerifyPw123@h/postgres" };
        const lines: string[] = [];
        const load = async (): Promise<Record<string, unknown>> => ({
            handler: coldStart<(e: unknown, c: Context) => Promise<unknown>>(require.resolve("../../../../lambdas/verify/handler"), env, ["VERIFY_MAX_BACKUP_AGE_MINUTES"]),
        });
        // when run once as the container runs it
        const code = await runOnce("verify/handler.handler", env, load, (l) => lines.push(l));
        // then the run fails, and exactly one failed result line says why
        assert.equal(code, 1);
        assert.deepEqual(resultLines(lines), [
            { kind: "verify", database: "orders,billing", outcome: "failed", error: "VERIFY_MAX_BACKUP_AGE_MINUTES is not set; it is required (an integer in 1..44640)" },
        ]);
    });
});
