/**
 * What the RDS and Azure point-in-time restores share: the refusal error, the restorable window
 * and the check of `--time` against it, and the tags every restored instance or server carries.
 */

/** A refusal: the restore cannot or must not start (window, existing target, missing backups). */
export class PitrError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PitrError";
    }
}

export interface RestoreWindow {
    readonly earliest: Date;
    readonly latest: Date;
}

/** `--latest`, or `--time` as typed (checked against the window here, so that refusals can say it). */
export type RestorePoint = { readonly latest: true } | { readonly time: string };

/** Tags every restored instance or server carries. */
export const RESTORED_FROM_TAG = "restored-from";
export const RESTORE_TIME_TAG = "restore-time";

export function formatWindow(w: RestoreWindow): string {
    return `${w.earliest.toISOString()} .. ${w.latest.toISOString()}`;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/**
 * The restore time of `--time`: an ISO-8601 time with a zone, not in the future, inside the
 * window. Every refusal names --time, the value and the window.
 */
export function restoreTimeWithin(text: string, window: RestoreWindow, now: Date, what: string): Date {
    const allowed = `expected an ISO-8601 time with a zone (e.g. ${window.latest.toISOString()}) within the restorable window of ${what}: ${formatWindow(window)}`;
    if (ISO_WITHOUT_ZONE.test(text)) {
        throw new PitrError(`--time: "${text}" has no time zone; ${allowed}`);
    }
    const t = Date.parse(text);
    if (!ISO_WITH_ZONE.test(text) || Number.isNaN(t)) {
        throw new PitrError(`--time: "${text}" is not an ISO-8601 time; ${allowed}`);
    }
    const time = new Date(t);
    if (time.getTime() > now.getTime()) {
        throw new PitrError(`--time: "${text}" is in the future (now ${now.toISOString()}); ${allowed}`);
    }
    if (time.getTime() > window.latest.getTime()) {
        throw new PitrError(`--time: "${text}" is after the latest restorable time; ${allowed}`);
    }
    if (time.getTime() < window.earliest.getTime()) {
        throw new PitrError(`--time: "${text}" is before the earliest restorable time; ${allowed}`);
    }
    return time;
}

/** `{ key: value }`, or nothing when the value is undefined. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
    return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
