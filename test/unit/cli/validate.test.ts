import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../../cli/validate";
import { runCli } from "../../helpers/cli";

describe("validate command", () => {
    for (const stack of ["staging", "prod"]) {
        it(`--stack ${stack}: exits 0 and prints the guarantees`, async () => {
            const r = await runCli(main, ["--stack", stack]);
            assert.strictEqual(r.code, 0, r.err);
            assert.match(r.out, /valid/);
            assert.match(r.out, /RPO\s+/);
            assert.match(r.out, /Retention monthly\s+\d+ days: Standard day 0 -> /);
            assert.match(r.out, /Immutability\s+Object Lock (GOVERNANCE|COMPLIANCE): each dump locked for its tier's keep days \(daily \d+, weekly \d+, monthly \d+\), other objects \d+ days/);
        });
    }

    it("a bad file: exits 1 and names every error with its key and value", async () => {
        // given a stack file with three mistakes
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
        const file = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(file, [
            "config:",
            "  pg-backup-stack:environment: staging",
            "  pg-backup-stack:objectives: { rpoMinutes: 60, rtoMinutes: 60 }",
            "  pg-backup-stack:regions: { primary: eu-west-1, dr: eu-west-1 }",
            "  pg-backup-stack:retention:",
            "    daily: { keepDays: 7 }",
            "    weekly: { keepDays: 35 }",
            "    monthly: { keepDays: 365, standardIaAfterDays: 30, glacierAfterDays: 45 }",
            "  pg-backup-stack:schedules: { dump: cron(0 2 * * ? *) }",
            "",
        ].join("\n"));
        try {
            // when
            const r = await runCli(main, [file]);
            // then
            assert.strictEqual(r.code, 1);
            assert.match(r.err, /3 error\(s\)/);
            assert.match(r.err, /regions\.dr: "eu-west-1" must differ from regions\.primary/);
            assert.match(r.err, /retention\.monthly\.glacierAfterDays: 45 is too early; it must be at least 60: 30 days after standardIaAfterDays \(30\), the shortest an object may stay in Standard-IA$/m);
            assert.match(r.err, /schedules\.dump: "cron\(0 2 \* \* \? \*\)" leaves up to 1 d between dumps/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the Azure example: valid without warnings, and states its key, per-tier locks and vaulted backups", async () => {
        // given the Azure-only example stack file; when validated
        const r = await runCli(main, [path.join("examples", "Pulumi.azure-flexible-geo.yaml")]);
        // then it is valid, warns about nothing, and says what holds for the server, the storage and the vault
        assert.strictEqual(r.code, 0, r.err);
        assert.doesNotMatch(r.out, /warning:/);
        assert.match(r.out, /Regions\s+Azure only: eastus \(no AWS resource\)/);
        assert.match(r.out, /Azure server blog-db\s+blog-db-prod, .*public access from 1 firewall rule\(s\)/);
        assert.match(r.out, /Azure storage\s+Standard_RAGRS, soft delete 30 days, each dump immutable for its tier's keep days \(daily 30, weekly 90, monthly 365; locked policies\), customer-managed key/);
        assert.match(r.out, /Azure Backup vault\s+GeoRedundant, immutability Locked, soft delete AlwaysOn 30 days; weekly backups kept 90 days, monthly 365, yearly 3650/);
    });

    it("the Azure example in a region without geo-redundant backup, on a non-Premium size, open to everyone: refused, naming key and allowed values", async () => {
        // given the Azure example moved to westus3, with a 100 GiB disk and a firewall rule for every address
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
        const file = path.join(dir, "Pulumi.azure.yaml");
        const text = fs.readFileSync(path.join("examples", "Pulumi.azure-flexible-geo.yaml"), "utf8")
            .replace("location: eastus", "location: westus3")
            .replace("storageSizeGb: 128", "storageSizeGb: 100")
            .replace("startIpAddress: 203.0.113.10", "startIpAddress: 0.0.0.0\n              endIpAddress: 255.255.255.255");
        fs.writeFileSync(file, text);
        try {
            // when validated
            const r = await runCli(main, [file]);
            // then each combination is refused at its key with what is allowed
            assert.strictEqual(r.code, 1);
            assert.match(r.err, /azure\.servers\[0\]\.geoRedundantBackup: true is not offered in westus3 \(Flexible Server region table\); allowed here: false/);
            assert.match(r.err, /azure\.servers\[0\]\.storageSizeGb: 100 is not a Premium SSD size; allowed: 32, 64, 128, 256, 512, 1024, 2048, 4095, 4096, 8192, 16384, 32767/);
            assert.match(r.err, /azure\.servers\[0\]\.network\.firewallRules\[0\]: "0\.0\.0\.0-255\.255\.255\.255" opens 4294967296 addresses \(the whole internet\); allowed: at most 65536/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("--json: one JSON document with the findings", async () => {
        const r = await runCli(main, ["--stack", "prod", "--json"]);
        const doc = JSON.parse(r.out) as { valid: boolean; guarantees: { control: string }[] };
        assert.strictEqual(doc.valid, true);
        assert.ok(doc.guarantees.some((g) => g.control === "RTO"));
    });

    it("a missing file and a bad stack name are clear errors", async () => {
        const missing = await runCli(main, ["--stack", "nope"]);
        assert.strictEqual(missing.code, 1);
        assert.match(missing.err, /Pulumi\.nope\.yaml: no such file/);
        const badName = await runCli(main, ["--stack", "../etc"]);
        assert.strictEqual(badName.code, 2);
        assert.match(badName.err, /--stack: "\.\.\/etc" is not a stack name/);
        const usage = await runCli(main, []);
        assert.strictEqual(usage.code, 2);
    });
});
