/** The part of s3rver 3.x (a Koa application) the embedded harness uses; the package ships no types. */
declare module "s3rver" {
    namespace S3rver {
        interface Options {
            address?: string;
            port?: number;
            silent?: boolean;
            directory: string;
            resetOnClose?: boolean;
            allowMismatchedSignatures?: boolean;
            configureBuckets?: { name: string }[];
        }

        interface Context {
            method: string;
            path: string;
            query: Record<string, string | string[] | undefined>;
            status: number;
            type: string;
            body: unknown;
        }

        type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
    }

    class S3rver {
        constructor(options: S3rver.Options);
        /** Koa's middleware stack; composed when the server starts listening. */
        middleware: S3rver.Middleware[];
        run(): Promise<{ address: string; port: number }>;
        close(): Promise<void>;
    }

    export = S3rver;
}
