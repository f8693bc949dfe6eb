import type { BenchOptions } from "./args";
import { barChartSvg } from "./chart";
import { MB, type MachineLoad } from "./measure";
import type { BenchRun } from "./modes";

/** The benchmark's figures from its measurements, and the table, JSON line and chart that show them. */

export interface BenchMeasurements {
    readonly databaseBytes: number;
    readonly ceilingSeconds: number;
    readonly bareSeconds: number;
    readonly plainDumpSeconds: number;
    readonly plainUploadSeconds: number;
    readonly plainBytes: number;
    readonly oursSeconds: number;
    readonly oursBytes: number;
    readonly oursPeakRssBytes: number;
    readonly oursBaselineRssBytes: number;
    /** CPU seconds (user + system, all threads) of the dump process in our fastest run and the bare stream's fastest; pg_dump's are not in them. */
    readonly oursCpuSeconds: number;
    readonly bareCpuSeconds: number;
    /** The whole machine's load (all cores, all processes) during the same runs and the ceiling's fastest; undefined where it cannot be read. */
    readonly oursMachine: MachineLoad | undefined;
    readonly bareMachine: MachineLoad | undefined;
    readonly ceilingMachine: MachineLoad | undefined;
    readonly restoreSerialSeconds: number;
    readonly restoreParallelSeconds: number;
    readonly jobs: number;
    readonly rowCountsMatch: boolean;
    /** Pages of the tables' data (heap and TOAST main forks): what pg_dump must read once. */
    readonly tablePages: number;
    /** Blocks read + hit in the database during each dump (pg_stat_database deltas). */
    readonly ceilingBlocks: number;
    readonly oursBlocks: number;
    /** Our directory-format dump with 1..N jobs. */
    readonly directory: readonly DirectoryMeasurement[];
    /** Each round's own times (the modes of one round ran back to back), for the ratios within a round. */
    readonly rounds: readonly RoundMeasurement[];
}

export interface RoundMeasurement {
    readonly bareSeconds: number;
    readonly oursSeconds: number;
    /** Our directory-format dump with 1..N jobs in this round (index jobs - 1). */
    readonly directorySeconds: readonly number[];
}

/** A ratio's lowest, median and highest value over the rounds. */
export interface Spread {
    readonly min: number;
    readonly median: number;
    readonly max: number;
}

export interface DirectoryMeasurement {
    readonly jobs: number;
    readonly seconds: number;
    readonly bytes: number;
    readonly peakRssBytes: number;
    readonly blocks: number;
    readonly cpuSeconds: number;
    readonly machine: MachineLoad | undefined;
    /** pg_dump alone, directory format with this many jobs, to local disk, and the machine's load meanwhile. */
    readonly ceilingSeconds: number;
    readonly ceilingMachine: MachineLoad | undefined;
}

/** A mode's load on the whole machine as the figures show it. */
export interface MachineFigures {
    /** Share of the machine's CPU busy (0..1). */
    readonly busy: number;
    /** CPU seconds busy on all cores, whichever process spent them. */
    readonly cpuSeconds: number;
}

export interface DirectoryFigures {
    readonly jobs: number;
    readonly seconds: number;
    readonly mbPerSecond: number;
    readonly sizeMb: number;
    /** Peak RSS of the dump process with this many jobs. */
    readonly peakRssMb: number;
    /** Its throughput over our single-stream dump's (above 1 = faster). */
    readonly toSingleStream: number;
    /** Blocks read + hit over the tables' pages (1.0 = every page once). */
    readonly blocksPerPage: number;
    /** CPU seconds of the dump process. */
    readonly cpuSeconds: number;
    /** The whole machine's load meanwhile, if known. */
    readonly machine: MachineFigures | undefined;
    /**
     * The most `toSingleStream` could be on this machine for the work this mode cost it: the
     * machine's busy CPU seconds spread over all its cores is the least time that work can take.
     */
    readonly toSingleStreamAtMost: number | undefined;
    /** pg_dump alone in directory format with this many jobs to local disk, and its speed over pg_dump -Fc's (the single stream's ceiling): what the jobs can give on this machine. */
    readonly ceilingSeconds: number;
    readonly ceilingToSingleCeiling: number;
    readonly ceilingMachine: MachineFigures | undefined;
    /** `toSingleStream` within each round, against that round's single stream. */
    readonly toSingleStreamRounds: Spread;
}

export interface BenchFigures {
    readonly databaseMb: number;
    /** CPUs of the machine, if known. */
    readonly cores: number | undefined;
    readonly ceiling: { readonly seconds: number; readonly mbPerSecond: number; readonly machine: MachineFigures | undefined };
    readonly bare: { readonly seconds: number; readonly mbPerSecond: number; readonly cpuSeconds: number; readonly machine: MachineFigures | undefined };
    readonly plain: { readonly dumpSeconds: number; readonly uploadSeconds: number; readonly seconds: number; readonly mbPerSecond: number; readonly sizeMb: number };
    readonly ours: { readonly seconds: number; readonly mbPerSecond: number; readonly sizeMb: number; readonly peakRssMb: number; readonly baselineRssMb: number; readonly cpuSeconds: number; readonly machine: MachineFigures | undefined };
    /** Our throughput over the ceiling's (1.0 = as fast as pg_dump alone). */
    readonly oursToCeiling: number;
    /** Our throughput over the bare stream's into the same S3 (1.0 = the pipeline costs nothing). */
    readonly oursToBare: number;
    /**
     * `oursToBare` within each round. The headline ratios compare the fastest run of each mode; on
     * a noisy machine the spread over the rounds shows how far one comparison can be trusted.
     */
    readonly oursToBareRounds: Spread;
    /** Database size over our archive's size. */
    readonly databaseToArchive: number;
    /** The plain pipeline's total time over ours (above 1 = ours is faster). */
    readonly speedupOverPlain: number;
    readonly restore: { readonly serialSeconds: number; readonly parallelSeconds: number; readonly jobs: number; readonly rowCountsMatch: boolean };
    readonly directory: readonly DirectoryFigures[];
    /** Blocks read + hit per table page during the ceiling's dump and ours (1.0 = every page once). */
    readonly blocks: { readonly tablePages: number; readonly ceilingPerPage: number; readonly oursPerPage: number };
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const machineFigures = (load: MachineLoad | undefined): MachineFigures | undefined =>
    load === undefined ? undefined : { busy: round(Math.min(1, Math.max(0, load.busy)), 3), cpuSeconds: round(load.cpuSeconds) };
/** ", machine 97 % busy, 25.70 CPU-s", or nothing when unknown. */
const machineNote = (load: MachineFigures | undefined): string => (load === undefined ? "" : `, machine ${Math.round(load.busy * 100)} % busy, ${load.cpuSeconds.toFixed(2)} CPU-s`);

/** The lowest, median (the mean of the middle two for an even count) and highest of `values`, rounded to 3 digits. */
export function spread(values: readonly number[]): Spread {
    if (values.length === 0) {
        throw new Error("a spread needs at least one value");
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    return { min: round(sorted[0] as number, 3), median: round(median, 3), max: round(sorted[sorted.length - 1] as number, 3) };
}

/** " (rounds 0.844-0.964x, median 0.927x)", or nothing for a single round. */
const roundsNote = (s: Spread, rounds: number): string => (rounds < 2 ? "" : ` (rounds ${s.min.toFixed(3)}-${s.max.toFixed(3)}x, median ${s.median.toFixed(3)}x)`);

/** Throughput is database megabytes per second of wall time, so every pipeline is measured against the same amount of work. */
export function computeFigures(m: BenchMeasurements): BenchFigures {
    for (const [name, v] of Object.entries(m)) {
        if (typeof v === "number" && (!Number.isFinite(v) || v < 0)) {
            throw new Error(`measurement ${name}: ${v} is not a non-negative number`);
        }
    }
    for (const name of ["ceilingSeconds", "bareSeconds", "oursSeconds", "plainDumpSeconds"] as const) {
        if (m[name] === 0) {
            throw new Error(`measurement ${name}: 0 s cannot give a throughput`);
        }
    }
    if (m.rounds.length === 0) {
        throw new Error("measurement rounds: none; at least one round is needed");
    }
    for (const [i, r] of m.rounds.entries()) {
        for (const [name, v] of [["bareSeconds", r.bareSeconds], ["oursSeconds", r.oursSeconds], ...r.directorySeconds.map((t, j) => [`directorySeconds[${j}]`, t] as const)] as const) {
            if (!Number.isFinite(v) || v <= 0) {
                throw new Error(`measurement rounds[${i}].${name}: ${v} s cannot give a ratio`);
            }
        }
    }
    for (const d of m.directory) {
        if (!Number.isFinite(d.seconds) || d.seconds <= 0) {
            throw new Error(`measurement directory with ${d.jobs} jobs: ${d.seconds} s cannot give a throughput`);
        }
        if (!Number.isFinite(d.ceilingSeconds) || d.ceilingSeconds <= 0) {
            throw new Error(`measurement directory ceiling with ${d.jobs} jobs: ${d.ceilingSeconds} s cannot give a throughput`);
        }
    }
    const perPage = (blocks: number): number => (m.tablePages === 0 ? 0 : round(blocks / m.tablePages, 3));
    const databaseMb = m.databaseBytes / MB;
    const plainSeconds = m.plainDumpSeconds + m.plainUploadSeconds;
    return {
        databaseMb: round(databaseMb, 1),
        cores: m.oursMachine?.cores ?? m.bareMachine?.cores,
        ceiling: { seconds: round(m.ceilingSeconds), mbPerSecond: round(databaseMb / m.ceilingSeconds, 1), machine: machineFigures(m.ceilingMachine) },
        bare: { seconds: round(m.bareSeconds), mbPerSecond: round(databaseMb / m.bareSeconds, 1), cpuSeconds: round(m.bareCpuSeconds), machine: machineFigures(m.bareMachine) },
        plain: {
            dumpSeconds: round(m.plainDumpSeconds),
            uploadSeconds: round(m.plainUploadSeconds),
            seconds: round(plainSeconds),
            mbPerSecond: round(databaseMb / plainSeconds, 1),
            sizeMb: round(m.plainBytes / MB, 1),
        },
        ours: {
            seconds: round(m.oursSeconds),
            mbPerSecond: round(databaseMb / m.oursSeconds, 1),
            sizeMb: round(m.oursBytes / MB, 1),
            peakRssMb: round(m.oursPeakRssBytes / MB, 1),
            baselineRssMb: round(m.oursBaselineRssBytes / MB, 1),
            cpuSeconds: round(m.oursCpuSeconds),
            machine: machineFigures(m.oursMachine),
        },
        oursToCeiling: round(m.ceilingSeconds / m.oursSeconds, 3),
        oursToBare: round(m.bareSeconds / m.oursSeconds, 3),
        oursToBareRounds: spread(m.rounds.map((r) => r.bareSeconds / r.oursSeconds)),
        databaseToArchive: m.oursBytes === 0 ? 0 : round(m.databaseBytes / m.oursBytes, 2),
        speedupOverPlain: round(plainSeconds / m.oursSeconds, 2),
        restore: { serialSeconds: round(m.restoreSerialSeconds), parallelSeconds: round(m.restoreParallelSeconds), jobs: m.jobs, rowCountsMatch: m.rowCountsMatch },
        directory: m.directory.map((d) => ({
            jobs: d.jobs,
            seconds: round(d.seconds),
            mbPerSecond: round(databaseMb / d.seconds, 1),
            sizeMb: round(d.bytes / MB, 1),
            peakRssMb: round(d.peakRssBytes / MB, 1),
            toSingleStream: round(m.oursSeconds / d.seconds, 3),
            blocksPerPage: perPage(d.blocks),
            cpuSeconds: round(d.cpuSeconds),
            machine: machineFigures(d.machine),
            toSingleStreamAtMost: d.machine === undefined || d.machine.cpuSeconds <= 0 ? undefined : round(m.oursSeconds / (d.machine.cpuSeconds / d.machine.cores), 3),
            ceilingSeconds: round(d.ceilingSeconds),
            ceilingToSingleCeiling: round(m.ceilingSeconds / d.ceilingSeconds, 3),
            ceilingMachine: machineFigures(d.ceilingMachine),
            toSingleStreamRounds: spread(
                m.rounds.map((r, i) => {
                    const t = r.directorySeconds[d.jobs - 1];
                    if (t === undefined) {
                        throw new Error(`measurement rounds[${i}]: no directory-format time with ${d.jobs} jobs`);
                    }
                    return r.oursSeconds / t;
                }),
            ),
        })),
        blocks: { tablePages: m.tablePages, ceilingPerPage: perPage(m.ceilingBlocks), oursPerPage: perPage(m.oursBlocks) },
    };
}

const jobsLabel = (n: number): string => `${n} job${n === 1 ? "" : "s"}`;
/** ", at most 1.160x single-stream on 2 cores for that work", or nothing when unknown. */
const atMostNote = (d: DirectoryFigures, cores: number | undefined): string =>
    d.toSingleStreamAtMost === undefined || cores === undefined ? "" : `, at most ${d.toSingleStreamAtMost.toFixed(3)}x single-stream on ${cores} cores for that work`;

export function renderTable(f: BenchFigures, o: BenchOptions): string {
    const compression = o.compression.method === "none" ? "none" : `${o.compression.method}:${o.compression.level}`;
    const rows: [string, string, string, string][] = [
        ["step", "seconds", "MB/s (database)", "notes"],
        ["pg_dump -Fc > /dev/null (ceiling)", f.ceiling.seconds.toFixed(2), f.ceiling.mbPerSecond.toFixed(1), `compression ${compression}, ${f.blocks.ceilingPerPage.toFixed(3)} blocks read+hit per table page${machineNote(f.ceiling.machine)}`],
        ["pg_dump -Fc | S3 upload (bare stream)", f.bare.seconds.toFixed(2), f.bare.mbPerSecond.toFixed(1), `the same archive, nothing else; ${f.bare.cpuSeconds.toFixed(2)} CPU-s in the uploading process${machineNote(f.bare.machine)}`],
        [
            "pg_dump | gzip > file, then upload",
            f.plain.seconds.toFixed(2),
            f.plain.mbPerSecond.toFixed(1),
            `dump+gzip ${f.plain.dumpSeconds.toFixed(2)} s, upload ${f.plain.uploadSeconds.toFixed(2)} s, ${f.plain.sizeMb.toFixed(1)} MB`,
        ],
        [
            "our dump pipeline to S3",
            f.ours.seconds.toFixed(2),
            f.ours.mbPerSecond.toFixed(1),
            `${f.ours.sizeMb.toFixed(1)} MB (database ${f.databaseToArchive.toFixed(2)}:1), ${f.oursToBare.toFixed(3)}x bare stream${roundsNote(f.oursToBareRounds, o.repeat)}, ${f.oursToCeiling.toFixed(3)}x ceiling, ${f.speedupOverPlain.toFixed(2)}x faster than plain, peak RSS ${f.ours.peakRssMb.toFixed(1)} MB, ${f.ours.cpuSeconds.toFixed(2)} CPU-s${machineNote(f.ours.machine)}, ${f.blocks.oursPerPage.toFixed(3)} blocks per table page`,
        ],
        ...f.directory.map((d): [string, string, string, string] => [
            `pg_dump -Fd, ${jobsLabel(d.jobs)}, to local disk`,
            d.ceilingSeconds.toFixed(2),
            (f.databaseMb / d.ceilingSeconds).toFixed(1),
            `directory ceiling: ${d.ceilingToSingleCeiling.toFixed(3)}x pg_dump -Fc${machineNote(d.ceilingMachine)}`,
        ]),
        ...f.directory.map((d): [string, string, string, string] => [
            `our dump, directory format, ${jobsLabel(d.jobs)}`,
            d.seconds.toFixed(2),
            d.mbPerSecond.toFixed(1),
            `${d.sizeMb.toFixed(1)} MB, ${d.toSingleStream.toFixed(3)}x ours single-stream${roundsNote(d.toSingleStreamRounds, o.repeat)}, peak RSS ${d.peakRssMb.toFixed(1)} MB, ${d.cpuSeconds.toFixed(2)} CPU-s${machineNote(d.machine)}${atMostNote(d, f.cores)}, ${d.blocksPerPage.toFixed(3)} blocks per table page`,
        ]),
        ["pg_restore, 1 job", f.restore.serialSeconds.toFixed(2), (f.databaseMb / Math.max(f.restore.serialSeconds, 0.001)).toFixed(1), `row counts ${f.restore.rowCountsMatch ? "match" : "DIFFER"}`],
        [`pg_restore, ${f.restore.jobs} jobs`, f.restore.parallelSeconds.toFixed(2), (f.databaseMb / Math.max(f.restore.parallelSeconds, 0.001)).toFixed(1), ""],
    ];
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
    const line = (r: readonly string[]): string => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join("  ").trimEnd();
    const [header, ...body] = rows;
    const source = o.databaseUrl !== undefined ? "your database" : `${o.dataset} dataset, requested ${o.sizeMb} MB${o.dataset === "realistic" ? ` in ${o.tables} tables` : ""}`;
    return [`database ${f.databaseMb.toFixed(1)} MB (${source}, ${f.blocks.tablePages} table pages); Lambda heap flags for ${o.memoryMb} MB; fastest of ${o.repeat} run${o.repeat === 1 ? "" : "s"} per pipeline, peak RSS the highest; restores of our ${o.dumpFormat === "custom" ? "single-stream" : `directory-format (${jobsLabel(o.dumpJobs)})`} dump`, line(header ?? []), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The chart of throughput per mode, in database MB per second of wall time. */
export function renderChart(f: BenchFigures, o: BenchOptions): string {
    const source = o.databaseUrl !== undefined ? "your database" : `${o.dataset} data`;
    return barChartSvg(`Dump and restore throughput, ${f.databaseMb.toFixed(0)} MB database (${source})`, [
        { label: "pg_dump -Fc > /dev/null (ceiling)", mbPerSecond: f.ceiling.mbPerSecond, kind: "ceiling" },
        { label: "pg_dump -Fc | S3 upload (bare stream)", mbPerSecond: f.bare.mbPerSecond, kind: "ceiling" },
        { label: "our dump pipeline to S3", mbPerSecond: f.ours.mbPerSecond, kind: "ours" },
        ...f.directory.map((d) => ({ label: `pg_dump -Fd, ${jobsLabel(d.jobs)}, to disk`, mbPerSecond: f.databaseMb / d.ceilingSeconds, kind: "ceiling" as const })),
        ...f.directory.map((d) => ({ label: `ours, directory format, ${jobsLabel(d.jobs)}`, mbPerSecond: d.mbPerSecond, kind: "ours" as const })),
        { label: "pg_dump | gzip > file, then upload", mbPerSecond: f.plain.mbPerSecond, kind: "other" },
        { label: "pg_restore, 1 job", mbPerSecond: f.databaseMb / Math.max(f.restore.serialSeconds, 0.001), kind: "restore" },
        { label: `pg_restore, ${f.restore.jobs} jobs`, mbPerSecond: f.databaseMb / Math.max(f.restore.parallelSeconds, 0.001), kind: "restore" },
    ]);
}

/** The JSON line: the options, every run's own figures and the figures of the fastest runs. */
export function renderJson(f: BenchFigures, o: BenchOptions, runs: readonly BenchRun[]): string {
    return JSON.stringify({
        sizeMbRequested: o.sizeMb,
        compression: o.compression,
        partSizeMb: o.partSizeMb,
        uploadConcurrency: o.uploadConcurrency,
        repeat: o.repeat,
        dataset: o.databaseUrl !== undefined ? "database-url" : o.dataset,
        memoryMb: o.memoryMb,
        dumpJobs: o.dumpJobs,
        restoredFormat: o.dumpFormat,
        runs: runs.map((x) => ({
            ceilingSeconds: round(x.ceiling),
            directoryCeilingSeconds: x.directoryCeiling.map((t) => round(t)),
            bareSeconds: round(x.bare),
            oursSeconds: round(x.ours.durationMs / 1000),
            plainSeconds: round(x.plainDump + x.plainUpload),
            oursPeakRssMb: round(x.ours.peakRssBytes / MB, 1),
            oursCpuSeconds: round(x.ours.cpuSeconds),
            bareCpuSeconds: round(x.bareCpu),
            oursMachine: machineFigures(x.ours.machine),
            bareMachine: machineFigures(x.bareMachine),
            directory: x.directory.map((d) => ({ jobs: d.jobs, seconds: round(d.durationMs / 1000), peakRssMb: round(d.peakRssBytes / MB, 1), cpuSeconds: round(d.cpuSeconds), machine: machineFigures(d.machine) })),
        })),
        ...f,
    });
}
