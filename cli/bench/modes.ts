import { closeSync, createReadStream, openSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { dumpTags } from "../../lambdas/dump/settings";
import { uploadObject } from "../../lambdas/shared/upload";
import type { BenchDumpReport, BenchDumpRequest } from "../embedded/benchDump";
import type { EmbeddedS3 } from "../embedded/s3";
import type { BenchOptions } from "./args";
import { withBlocks } from "./blocks";
import { MB, progress, quietLog, run, timed, withMachineLoad, type MachineLoad } from "./measure";

/** Each measured mode of one run: the ceiling, our pipeline in both formats, the bare stream and the plain pipeline. */

export const BUCKET = "bench-backups";

/** One of our dumps as the measured process reported it, with the database's blocks read + hit meanwhile. */
export type MeasuredDump = BenchDumpReport & {
    blocks: number;
    /** The whole machine's load during the dump; undefined without /proc/stat. */
    machine: MachineLoad | undefined;
};

/** One run of every mode. */
export interface BenchRun {
    ceiling: number;
    ceilingBlocks: number;
    /** The machine's load during the ceiling's dump. */
    ceilingMachine: MachineLoad | undefined;
    /** pg_dump alone in directory format to local disk, with 1..N jobs (index jobs - 1): what N jobs give on this machine. */
    directoryCeiling: number[];
    /** The machine's load during each of them. */
    directoryCeilingMachine: (MachineLoad | undefined)[];
    bare: number;
    /** CPU seconds of the bare stream's process. */
    bareCpu: number;
    /** The machine's load during the bare stream. */
    bareMachine: MachineLoad | undefined;
    ours: MeasuredDump;
    directory: (MeasuredDump & { jobs: number })[];
    plainDump: number;
    plainUpload: number;
    plainBytes: number;
}

/** What every run measures against. */
export interface BenchModes {
    readonly o: BenchOptions;
    readonly databaseUrl: string;
    readonly pgDump: string;
    /** pg_dump's compression arguments for the ceiling. */
    readonly compression: readonly string[];
    readonly childEnv: NodeJS.ProcessEnv;
    readonly plainFile: string;
    readonly s3: EmbeddedS3;
    /** Job counts of the directory-format dumps, 1..N. */
    readonly dumpJobs: readonly number[];
    /** One run of the measured process; `jobs` makes it a directory-format dump. */
    readonly measure: (mode: BenchDumpRequest["mode"], jobs?: number) => Promise<MeasuredDump>;
}

/** Run `r` of every mode, interleaved so that no mode has the machine to itself more than another. */
export async function measureRun({ o, databaseUrl, pgDump, compression, childEnv, plainFile, s3, dumpJobs, measure }: BenchModes, r: number): Promise<BenchRun> {
    progress(`run ${r}/${o.repeat}: ceiling, pg_dump -Fc > /dev/null`);
    const devNull = openSync("/dev/null", "w");
    const ceiling = await withBlocks(databaseUrl, () =>
        withMachineLoad(() => timed(() => run(pgDump, ["--format=custom", "--blobs", "--no-password", ...compression], childEnv, devNull))).finally(() => closeSync(devNull)),
    );

    const directoryCeiling: number[] = [];
    const directoryCeilingMachine: (MachineLoad | undefined)[] = [];
    for (const jobs of dumpJobs) {
        progress(`run ${r}/${o.repeat}: directory ceiling, pg_dump -Fd with ${jobs} job${jobs === 1 ? "" : "s"} to local disk`);
        const dir = join(dirname(plainFile), `ceiling-${jobs}`);
        const t = await withMachineLoad(() => timed(() => run(pgDump, ["--format=directory", `--jobs=${jobs}`, "--blobs", "--no-password", ...compression, `--file=${dir}`], childEnv)));
        await rm(dir, { recursive: true, force: true });
        directoryCeiling.push(t.value.seconds);
        directoryCeilingMachine.push(t.machine);
    }

    progress(`run ${r}/${o.repeat}: our pipeline, dump core -> S3 (own process, compiled JavaScript)`);
    const ours = await measure("ours");

    const directory: BenchRun["directory"] = [];
    for (const jobs of dumpJobs) {
        progress(`run ${r}/${o.repeat}: our pipeline, directory format with ${jobs} pg_dump job${jobs === 1 ? "" : "s"}`);
        directory.push({ ...(await measure("ours", jobs)), jobs });
    }

    progress(`run ${r}/${o.repeat}: bare stream, pg_dump -Fc piped into the S3 upload`);
    const bare = await measure("bare");

    progress(`run ${r}/${o.repeat}: plain pipeline, pg_dump | gzip > file, then upload`);
    const plainDump = await timed(() => run("bash", ["-c", 'set -o pipefail; "$0" --no-password | gzip > "$1"', pgDump, plainFile], childEnv));
    const plainBytes = (await stat(plainFile)).size;
    const plainUpload = await timed(() =>
        uploadObject(
            {
                client: s3.client(),
                bucket: BUCKET,
                key: `plain/plain-${r}.sql.gz`,
                body: createReadStream(plainFile),
                contentType: "application/gzip",
                kmsKeyId: "alias/bench",
                tags: dumpTags("daily"),
                partSizeBytes: o.partSizeMb * MB,
                queueSize: o.uploadConcurrency,
            },
            quietLog,
        ),
    );
    await rm(plainFile, { force: true });
    return {
        ceiling: ceiling.value.value.seconds,
        ceilingBlocks: ceiling.blocks,
        ceilingMachine: ceiling.value.machine,
        directoryCeiling,
        directoryCeilingMachine,
        bare: bare.durationMs / 1000,
        bareCpu: bare.cpuSeconds,
        bareMachine: bare.machine,
        ours,
        directory,
        plainDump: plainDump.seconds,
        plainUpload: plainUpload.seconds,
        plainBytes,
    };
}
