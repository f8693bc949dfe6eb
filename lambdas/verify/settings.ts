/**
 * The verify core's settings: the size bounds and their defaults, and the check of a whole
 * configuration before anything is read.
 */
import { validateAzureServers } from "./azure";
import { VerifyConfigError } from "./errors";
import type { SizeBounds, VerifyConfig } from "./types";

/** Size bounds used when the configuration does not give any. */
export const DEFAULT_SIZE_BOUNDS: SizeBounds = { window: 7, minRatio: 0.5, maxRatio: 3 };

/** Rejects a configuration that cannot be verified against, naming the field, value and what is allowed. */
export function validateVerifyConfig(config: VerifyConfig): void {
    const positive = (name: string, value: number): void => {
        if (!Number.isFinite(value) || value <= 0) {
            throw new VerifyConfigError(`${name}: ${value} is not allowed; expected a number of seconds > 0`);
        }
    };
    if (config.bucket.trim() === "") {
        throw new VerifyConfigError(`bucket: "" is not allowed; expected a bucket name`);
    }
    positive("maxBackupAgeSeconds", config.maxBackupAgeSeconds);
    positive("rtoSeconds", config.rtoSeconds);
    const { window, minRatio, maxRatio } = config.size;
    if (!Number.isInteger(window) || window < 1 || window > 100) {
        throw new VerifyConfigError(`size.window: ${window} is out of range; expected an integer 1..100`);
    }
    if (!(minRatio > 0 && minRatio <= 1)) {
        throw new VerifyConfigError(`size.minRatio: ${minRatio} is out of range; expected a number in (0, 1]`);
    }
    if (!(maxRatio >= 1 && Number.isFinite(maxRatio))) {
        throw new VerifyConfigError(`size.maxRatio: ${maxRatio} is out of range; expected a finite number >= 1`);
    }
    if (config.databases.length === 0 && (config.azureServers ?? []).length === 0) {
        throw new VerifyConfigError("databases: empty, and no azureServers either; expected at least one database or Azure server to verify");
    }
    const seen = new Set<string>();
    for (const db of config.databases) {
        if (!/^[A-Za-z0-9_.-]{1,63}$/.test(db)) {
            throw new VerifyConfigError(`databases: "${db}" is not allowed; expected 1..63 of A-Z a-z 0-9 _ . -`);
        }
        if (seen.has(db)) {
            throw new VerifyConfigError(`databases: "${db}" is listed twice`);
        }
        seen.add(db);
    }
    validateAzureServers(config.azureServers ?? []);
    if (config.jobs !== undefined && (!Number.isInteger(config.jobs) || config.jobs < 1 || config.jobs > 64)) {
        throw new VerifyConfigError(`jobs: ${config.jobs} is out of range; expected an integer 1..64`);
    }
}
