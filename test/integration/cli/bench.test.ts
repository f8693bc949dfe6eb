import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../cli/bench";

/**
 * `npm run bench` end to end on a small database: every mode runs against real PostgreSQL and
 * s3rver (the measured process compiled and started as the benchmark starts it), and the table,
 * the JSON line and the chart come out with figures that fit together. The figures themselves are
 * not judged here: speed is read from `npm run bench`, never from a timed test.
 */
describe("bench, end to end on a small database (real PostgreSQL, s3rver)", function () {
    this.timeout(300_000);

    it("runs every mode, restores with row counts matching, and prints the table, one JSON line and the chart", async () => {
        const dir = await mkdtemp(join(tmpdir(), "bench-e2e-"));
        const printed: string[] = [];
        const log = console.log;
        console.log = (...args: unknown[]): void => {
            printed.push(args.map(String).join(" "));
        };
        let code: number;
        try {
            code = await main(["--size-mb", "24", "--tables", "2", "--repeat", "1", "--dump-jobs", "2", "--chart", join(dir, "bench.svg")]);
        } finally {
            console.log = log;
        }
        try {
            assert.equal(code, 0, printed.join("\n"));
            const out = printed.join("\n");
            for (const step of ["(ceiling)", "pg_dump -Fd, 2 jobs, to local disk", "(bare stream)", "our dump pipeline to S3", "directory format, 1 job", "directory format, 2 jobs", "pg_restore, 1 job", "pg_restore, 2 jobs"]) {
                assert.ok(out.includes(step), `no row for ${step}:\n${out}`);
            }
            assert.match(out, /row counts match/);
            const json = JSON.parse(printed[printed.length - 1] ?? "{}") as {
                runs: { oursCpuSeconds: number; bareCpuSeconds: number; oursPeakRssMb: number; directory: { jobs: number; cpuSeconds: number }[] }[];
                ours: { cpuSeconds: number; peakRssMb: number; sizeMb: number };
                oursToBare: number;
                oursToBareRounds: { min: number; median: number; max: number };
                directory: { toSingleStream: number; toSingleStreamRounds: { min: number; median: number; max: number } }[];
                restore: { rowCountsMatch: boolean };
            };
            assert.equal(json.restore.rowCountsMatch, true);
            assert.equal(json.runs.length, 1);
            const run = json.runs[0];
            assert.ok(run !== undefined && run.oursCpuSeconds > 0 && run.bareCpuSeconds > 0, JSON.stringify(run));
            assert.deepEqual(run.directory.map((d) => d.jobs), [1, 2]);
            assert.ok(json.ours.peakRssMb > 0 && json.ours.sizeMb > 0);
            // one round: its own ratios are the fastest runs' ratios
            assert.deepEqual(json.oursToBareRounds, { min: json.oursToBare, median: json.oursToBare, max: json.oursToBare });
            assert.deepEqual(json.directory.map((d) => d.toSingleStreamRounds.median), json.directory.map((d) => d.toSingleStream));
            assert.match(await readFile(join(dir, "bench.svg"), "utf8"), /^<svg[\s\S]*our dump pipeline to S3[\s\S]*<\/svg>\s*$/);
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });
});
