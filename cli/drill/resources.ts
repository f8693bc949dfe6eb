import { redactedMessage } from "../../lambdas/shared/redact";

/**
 * Things started by the drill, stopped in reverse order; safe to call more than once. Something
 * added once the cleanup has begun (work still in flight when it was interrupted) is cleaned up
 * at once.
 */
export class Resources {
    private readonly cleanups: { readonly what: string; readonly run: () => Promise<void> }[] = [];
    private cleaning: Promise<void> | undefined;
    private progress: (line: string) => void = () => undefined;
    private readonly failed: string[] = [];

    add(what: string, run: () => Promise<void>): void {
        this.cleanups.push({ what, run });
        if (this.cleaning !== undefined) {
            this.cleaning = this.cleaning.then(() => this.runAll());
        }
    }

    /** What is still to be cleaned up, oldest first, and what could not be. */
    pending(): string[] {
        return [...this.cleanups.map((c) => c.what), ...this.failed];
    }

    /** Resolves once everything added so far is cleaned up. */
    cleanup(progress: (line: string) => void): Promise<void> {
        this.progress = progress;
        this.cleaning ??= this.runAll();
        return this.cleaning;
    }

    private async runAll(): Promise<void> {
        for (let c = this.cleanups.pop(); c !== undefined; c = this.cleanups.pop()) {
            try {
                await c.run();
                this.progress(`cleaned up: ${c.what}`);
            } catch (err) {
                this.failed.push(c.what);
                this.progress(`could not clean up ${c.what}: ${redactedMessage(err)}`);
            }
        }
    }
}
