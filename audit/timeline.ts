import { TIER_NAMES, type TierName } from "../config/schema";
import type { StackConfig } from "../config/validate";
import { tierBlobLifecycles } from "../config/rules/azure";

/**
 * The retention timeline: per tier, the storage classes a dump passes through over its days,
 * how long it is locked, where its copies are; and per database, the point-in-time window.
 * The same model feeds the report's JSON and the SVG picture in the HTML report.
 */
export interface RetentionPicture {
    /** Where the dumps are kept: S3 buckets, or the Azure backups container of an Azure-only stack. */
    readonly storage: "s3" | "azure-blob";
    readonly tiers: readonly TierPicture[];
    /** Object Lock default retention of the bucket: the floor for objects other than dumps. */
    readonly bucketLockDays?: number;
    readonly pointInTime: readonly { readonly database: string; readonly days: number; readonly drDays?: number }[];
}

export interface TierPicture {
    readonly tier: TierName;
    readonly keepDays: number;
    readonly storageClasses: readonly { readonly storageClass: string; readonly fromDay: number; readonly toDay: number }[];
    /** Each dump's own lock: retain-until = the dump's start + keepDays. */
    readonly lock?: TierLock;
    /** Where the tier's dumps are kept, one entry per copy. */
    readonly copies: readonly string[];
}

/**
 * How each dump of a tier is locked: an S3 Object Lock retention in GOVERNANCE or COMPLIANCE mode
 * ("Locking objects with Object Lock", Amazon S3 User Guide), or an Azure version-level
 * time-based retention policy on each blob, locked or unlocked ("Configure immutability
 * policies for blob versions", Azure Storage docs: a locked policy can be extended, never
 * shortened or deleted; an unlocked one can).
 */
export type TierLock =
    | { readonly kind: "s3-object-lock"; readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly days: number }
    | { readonly kind: "azure-blob-immutability"; readonly locked: boolean; readonly days: number };

/** The lock in words: `Object Lock COMPLIANCE`, `locked per-blob immutability policy`. */
export function lockName(lock: TierLock): string {
    return lock.kind === "s3-object-lock" ? `Object Lock ${lock.mode}` : `${lock.locked ? "locked" : "unlocked"} per-blob immutability policy`;
}

export function retentionPicture(c: StackConfig): RetentionPicture {
    const lock = c.storage.objectLock;
    const mode = lock?.mode;
    const azureTiers = c.regions === undefined ? tierBlobLifecycles(c) : undefined;
    const tiers = TIER_NAMES.map((tier): TierPicture => {
        const t = c.retention[tier];
        const a = azureTiers?.[tier];
        // An Azure-only stack keeps its dumps in Blob access tiers; the others in S3 storage classes.
        const steps: { storageClass: string; day: number }[] = a !== undefined
            ? [
                { storageClass: "Hot", day: 0 },
                ...(a.coolAfterDays !== undefined ? [{ storageClass: "Cool", day: a.coolAfterDays }] : []),
                ...(a.coldAfterDays !== undefined ? [{ storageClass: "Cold", day: a.coldAfterDays }] : []),
                ...(a.archiveAfterDays !== undefined ? [{ storageClass: "Archive", day: a.archiveAfterDays }] : []),
            ]
            : [
                { storageClass: "Standard", day: 0 },
                ...(t.standardIaAfterDays !== undefined ? [{ storageClass: "Standard-IA", day: t.standardIaAfterDays }] : []),
                ...(t.glacierAfterDays !== undefined ? [{ storageClass: "Glacier Flexible Retrieval", day: t.glacierAfterDays }] : []),
                ...(t.deepArchiveAfterDays !== undefined ? [{ storageClass: "Deep Archive", day: t.deepArchiveAfterDays }] : []),
            ];
        const storageClasses = steps.map((s, i) => ({ storageClass: s.storageClass, fromDay: s.day, toDay: steps[i + 1]?.day ?? t.keepDays }));
        const copies = c.regions !== undefined
            ? [`backup bucket in ${c.regions.primary}`, ...(c.storage.replication ? [`replica bucket in ${c.regions.dr}`] : [])]
            : [`backups container in ${c.azure?.location ?? "the Azure region"} (${c.azure?.storage?.redundancy ?? "no storage account"})`];
        // The Azure runner writes its dumps with a locked policy for COMPLIANCE and an unlocked one for GOVERNANCE.
        const tierLock: TierLock | undefined = mode === undefined ? undefined
            : c.regions !== undefined ? { kind: "s3-object-lock", mode, days: t.keepDays }
            : c.azure?.storage?.versionLevelImmutability === true ? { kind: "azure-blob-immutability", locked: mode === "COMPLIANCE", days: t.keepDays }
            : undefined;
        return { tier, keepDays: t.keepDays, storageClasses, ...(tierLock !== undefined ? { lock: tierLock } : {}), copies };
    });
    const pointInTime = [
        ...c.aws.databases.flatMap((db) => {
            const i = db.instance;
            if (i === undefined || i.backupRetentionDays === 0) return [];
            const drDays = i.replicateBackupsToDr ? (i.drBackupRetentionDays ?? i.backupRetentionDays) : undefined;
            return [{ database: db.name, days: i.backupRetentionDays, ...(drDays !== undefined ? { drDays } : {}) }];
        }),
        ...(c.azure?.servers ?? []).map((s) => ({ database: s.name, days: s.backupRetentionDays })),
    ];
    return { storage: c.regions === undefined ? "azure-blob" : "s3", tiers, ...(lock?.days !== undefined && mode !== undefined && c.regions !== undefined ? { bucketLockDays: lock.days } : {}), pointInTime };
}

// ---------------------------------------------------------------------------------------------
// SVG

const COLOURS: Readonly<Record<string, string>> = {
    Standard: "#2b6cb0",
    "Standard-IA": "#4299e1",
    "Glacier Flexible Retrieval": "#805ad5",
    "Deep Archive": "#44337a",
    Hot: "#2b6cb0",
    Cool: "#4299e1",
    Cold: "#805ad5",
    Archive: "#44337a",
};
const WIDTH = 960;
const LEFT = 110;
const RIGHT = 100;
const ROW = 74;

/**
 * The picture as a standalone SVG document. Days run on a square-root axis, so that a 14-day
 * tier and a 400-day tier both read; the ticks name the days that matter (every transition and
 * expiry). Elements carry classes and data attributes (`tier`, `storage-class`, `lock`, `pitr`).
 */
export function retentionSvg(p: RetentionPicture): string {
    const maxDay = Math.max(1, ...p.tiers.map((t) => t.keepDays), ...p.pointInTime.map((d) => d.days));
    const x = (day: number): number => LEFT + Math.sqrt(day / maxDay) * (WIDTH - LEFT - RIGHT);
    const ticks = [...new Set([0, ...p.tiers.flatMap((t) => [...t.storageClasses.map((s) => s.fromDay), t.keepDays]), ...p.pointInTime.map((d) => d.days)])].sort((a, b) => a - b);
    const pitrTop = 40 + p.tiers.length * ROW;
    const lockWords = lockWord(p);
    const height = pitrTop + 30 + p.pointInTime.length * 22 + 60;
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" class="retention-timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="retention-title">`,
        `<title id="retention-title">Retention timeline: storage classes, ${lockWords} and copies per tier; point-in-time windows</title>`,
        `<style>text{font-family:system-ui,sans-serif;font-size:12px;fill:#1a202c}.axis{stroke:#a0aec0;stroke-width:1}.tick text{font-size:10px;fill:#4a5568}.tier-name{font-weight:600;font-size:13px}.note{font-size:11px;fill:#2d3748}</style>`,
        `<g class="axis-group">`,
        ...ticks.map((d) => `<g class="tick"><line class="axis" x1="${n(x(d))}" y1="28" x2="${n(x(d))}" y2="${pitrTop + 10 + p.pointInTime.length * 22}" stroke-dasharray="2 3"/><text x="${n(x(d))}" y="20" text-anchor="middle">${d}</text></g>`),
        `<text x="${LEFT - 8}" y="20" text-anchor="end" class="note">day</text>`,
        `</g>`,
    ];
    p.tiers.forEach((t, i) => {
        const top = 40 + i * ROW;
        out.push(`<g class="tier" data-tier="${t.tier}">`, `<text class="tier-name" x="8" y="${top + 16}">${t.tier}</text>`);
        for (const s of t.storageClasses) {
            const w = Math.max(1, x(s.toDay) - x(s.fromDay));
            out.push(
                `<rect class="storage-class" data-class="${esc(s.storageClass)}" x="${n(x(s.fromDay))}" y="${top + 2}" width="${n(w)}" height="20" fill="${COLOURS[s.storageClass] ?? "#718096"}"><title>${esc(`${t.tier}: ${s.storageClass} from day ${s.fromDay} to day ${s.toDay}`)}</title></rect>`,
            );
            if (w > 60) out.push(`<text x="${n(x(s.fromDay) + 4)}" y="${top + 16}" fill="#ffffff" style="fill:#ffffff">${esc(short(s.storageClass))}</text>`);
        }
        out.push(`<text x="${n(x(t.keepDays) + 4)}" y="${top + 16}" class="note">expires day ${t.keepDays}</text>`);
        if (t.lock !== undefined) {
            const mode = t.lock.kind === "s3-object-lock" ? t.lock.mode : t.lock.locked ? "locked" : "unlocked";
            out.push(
                `<rect class="lock" data-mode="${mode}" x="${n(x(0))}" y="${top + 26}" width="${n(x(t.lock.days) - x(0))}" height="8" fill="#c53030"><title>${esc(`${lockName(t.lock)}: ${t.lock.days} days from the dump's start`)}</title></rect>`,
                `<text x="${LEFT}" y="${top + 48}" class="note">${esc(lockName(t.lock))} ${t.lock.days} d from the dump's start · copies: ${esc(t.copies.join(", "))}</text>`,
            );
        } else {
            out.push(`<text x="${LEFT}" y="${top + 48}" class="note">no ${lockWords} · copies: ${esc(t.copies.join(", "))}</text>`);
        }
        out.push(`</g>`);
    });
    out.push(`<g class="pitr-group"><text class="tier-name" x="8" y="${pitrTop + 16}">point in time</text>`);
    p.pointInTime.forEach((d, i) => {
        const y = pitrTop + 4 + i * 22;
        out.push(
            `<g class="pitr" data-database="${esc(d.database)}"><rect x="${n(x(0))}" y="${y}" width="${n(x(d.days) - x(0))}" height="14" fill="#2f855a"><title>${esc(`${d.database}: any second of the last ${d.days} days`)}</title></rect>`,
            `<text x="${n(x(d.days) + 4)}" y="${y + 11}" class="note">${esc(`${d.database}: last ${d.days} d${d.drDays !== undefined ? `, ${d.drDays} d in the DR region` : ""}`)}</text></g>`,
        );
    });
    if (p.pointInTime.length === 0) out.push(`<text x="${LEFT}" y="${pitrTop + 16}" class="note">no point-in-time recovery managed by this stack</text>`);
    out.push(`</g>`);
    const legendY = height - 24;
    let lx = LEFT;
    out.push(`<g class="legend">`);
    // The legend names the classes the picture shows: S3 classes for AWS stacks, Blob access tiers for Azure-only ones.
    const shown = new Set(p.tiers.flatMap((t) => t.storageClasses.map((c) => c.storageClass)));
    const classes = Object.entries(COLOURS).filter(([name]) => shown.has(name));
    for (const [name, colour] of [...classes, [lockWords, "#c53030"], ["point-in-time window", "#2f855a"]] as const) {
        out.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${colour}"/><text x="${lx + 16}" y="${legendY + 10}" class="note">${esc(name)}</text>`);
        lx += 28 + name.length * 6;
    }
    out.push(`</g>`, `<text x="${WIDTH - 8}" y="${legendY + 10}" text-anchor="end" class="note">days on a square-root scale</text>`, `</svg>`);
    return `${out.join("\n")}\n`;
}

/** What the picture calls the tiers' locks: S3 Object Lock, or Azure immutability policies. */
export function lockWord(p: RetentionPicture): string {
    return p.storage === "azure-blob" ? "per-blob immutability policy" : "Object Lock";
}

function short(storageClass: string): string {
    return storageClass === "Glacier Flexible Retrieval" ? "Glacier" : storageClass;
}

function n(value: number): string {
    return value.toFixed(1);
}

/** Escapes text for XML and HTML content and attribute values. */
export function esc(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
