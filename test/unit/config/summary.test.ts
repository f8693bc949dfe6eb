import * as assert from "assert";
import * as path from "path";
import { readStackFile } from "../../../config/load";
import { guarantees } from "../../../config/summary";
import { validateConfig } from "../../../config/validate";
import { ROOT } from "../../helpers/stackFiles";

const EXAMPLE = path.join(ROOT, "examples", "Pulumi.azure-flexible-geo.yaml");

type Values = Record<string, unknown>;

/** The guarantees of the Azure-only example after `change` edits a copy of its values. */
function exampleGuarantees(change: (values: Values) => void = () => undefined): Map<string, string> {
    const raw = readStackFile(EXAMPLE);
    const values = structuredClone(raw.values) as Values;
    change(values);
    const result = validateConfig({ ...raw, values });
    assert.ok(result.config !== undefined, result.findings.map((f) => `${f.path}: ${f.message}`).join("\n"));
    return new Map(guarantees(result.config).map((g) => [g.control, g.value]));
}

function azure(values: Values): Values {
    return values["azure"] as Values;
}

function runner(values: Values): Values {
    return azure(values)["runner"] as Values;
}

describe("what validate prints for an Azure-only stack", () => {
    it("each retention tier is described by its Blob access tiers and deletion day, not by S3 storage classes", () => {
        // given the example's tier lifecycles (weekly Cool at 30; monthly Cool 30, Cold 60, Archive 150) and keep days 30/90/365
        const g = exampleGuarantees();
        // then each line walks Hot -> ... -> delete on the tier's keep days
        assert.match(g.get("Retention daily") ?? "", /^30 days: Hot day 0 -> delete day 30; /);
        assert.match(g.get("Retention weekly") ?? "", /^90 days: Hot day 0 -> Cool day 30 -> delete day 90; /);
        assert.match(g.get("Retention monthly") ?? "", /^365 days: Hot day 0 -> Cool day 30 -> Cold day 60 -> Archive day 150 -> delete day 365; /);
        for (const tier of ["daily", "weekly", "monthly"]) assert.doesNotMatch(g.get(`Retention ${tier}`) ?? "", /Standard|expire/);
    });

    it("the tier lines follow a changed lifecycle and keep days", () => {
        // given a daily tier moved to Cool after 10 days and kept 45
        const g = exampleGuarantees((v) => {
            ((azure(v)["storage"] as Values)["tierLifecycle"] as Values)["daily"] = { coolAfterDays: 10 };
            (((v["retention"] as Values)["daily"]) as Values)["keepDays"] = 45;
        });
        // then the daily line says so
        assert.match(g.get("Retention daily") ?? "", /^45 days: Hot day 0 -> Cool day 10 -> delete day 45; each dump immutable for 45 days/);
    });

    it("the per-blob lock is stated with its policy, and its absence too", () => {
        // given the example (version-level immutability, COMPLIANCE) and the same with an unlocked (GOVERNANCE) policy
        assert.match(exampleGuarantees().get("Retention monthly") ?? "", /each dump immutable for 365 days \(locked policy: it cannot be shortened or removed\)$/);
        const governance = exampleGuarantees((v) => {
            ((v["storage"] as Values)["objectLock"] as Values)["mode"] = "GOVERNANCE";
            v["environment"] = "staging";
        });
        assert.match(governance.get("Retention monthly") ?? "", /each dump immutable for 365 days \(unlocked policy\)$/);
    });

    it("the runner line says which jobs run for which server, when, with what identity, registry, logs and alerts", () => {
        const line = exampleGuarantees().get("Azure runner") ?? "";
        assert.match(line, /^Container Apps jobs in eastus, in subnet jobs leaving from 203\.0\.113\.10: /);
        assert.match(line, /: dump, verify of blog-db\/blog \(login from Key Vault secret blog-db-dump\); /);
        assert.match(line, /; dump daily at 02:00 UTC, verify daily at 04:00 UTC; /);
        assert.match(line, /user-assigned managed identity .*secrets from the stack's Key Vault/);
        assert.match(line, /image in the stack's container registry/);
        assert.match(line, /logs kept 365 days in Log Analytics/);
        assert.match(line, /no successful dump or verify in 30 hours$/);
    });

    it("the runner line follows the config: an export job with its schedule, an Entra login, another age and log retention", () => {
        // given an export table and schedule, an Entra role instead of the secret, 36 hours and 400 days
        const line = exampleGuarantees((v) => {
            const r = runner(v);
            r["schedules"] = { dump: "15 */6 * * *", export: "0 3 * * *", verify: "0 5 * * *" };
            r["targets"] = [{ server: "blog-db", databaseName: "blog", entraUser: "backup_runner", exportTables: [{ table: "public.orders", watermarkColumn: "updated_at" }] }];
            r["maxBackupAgeHours"] = 36;
            r["logRetentionDays"] = 400;
            (azure(v)["servers"] as Values[])[0]!["authentication"] = {
                entraAdmin: { tenantId: "00000000-0000-0000-0000-000000000001", objectId: "00000000-0000-0000-0000-000000000002", principalName: "dba@example.com", principalType: "user" },
            };
        }).get("Azure runner") ?? "";
        // then every one of them is in the line
        assert.match(line, /: dump, export, verify of blog-db\/blog \(Entra role backup_runner\); /);
        assert.match(line, /; dump "15 \*\/6 \* \* \*" UTC, at most 6 h apart, export daily at 03:00 UTC, verify daily at 05:00 UTC; /);
        assert.match(line, /logs kept 400 days/);
        assert.match(line, /in 36 hours$/);
    });

    it("the RPO line counts the gap of the runner's dump schedule, not the unused AWS one", () => {
        const g = exampleGuarantees((v) => {
            runner(v)["schedules"] = { dump: "0 */4 * * *", verify: "0 5 * * *" };
        });
        assert.match(g.get("RPO") ?? "", /dumps "0 \*\/4 \* \* \*" \(UTC, Container Apps jobs\), at most 4 h apart$/);
    });

    it("a stack without an Azure runner has no runner line", () => {
        const g = exampleGuarantees((v) => {
            delete azure(v)["runner"];
            ((azure(v)["servers"] as Values[])[0]!["network"] as Values)["firewallRules"] = [{ name: "office", startIpAddress: "198.51.100.7" }];
        });
        assert.ok(!g.has("Azure runner"));
    });
});
