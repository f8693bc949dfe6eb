/** Errors of the verify function's core. */

/** The verify configuration is invalid; nothing was checked. */
export class VerifyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VerifyConfigError";
    }
}
