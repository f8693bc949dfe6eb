import { RDSClient } from "@aws-sdk/client-rds";
import { ArgumentError } from "./args";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { parsePitrArgs, pitrUsage, type PitrArgs, type PitrAzureArgs, type PitrRdsArgs } from "./pitr/args";
import { planAzurePitr, startAzurePitr, type AzureServersApi } from "./pitr/azure";
import { azureNextSteps, describeAzurePlan, describeRdsPlan, rdsNextSteps } from "./pitr/describe";
import { planRdsPitr, startRdsPitr, waitForRdsInstance, type RdsClientFactory } from "./pitr/rds";
import { PitrError } from "./pitr/shared";

/**
 * `pitr rds ...` / `pitr azure ...`: a point-in-time restore into a NEW instance or server. The
 * source is only read; an existing target is refused; `--dry-run` prints the request only.
 */

/** What the command talks to; real clients in `main`, fakes in the tests. */
export interface PitrDeps {
    readonly rdsFor: RdsClientFactory;
    readonly azureServers: (subscription: string) => Promise<AzureServersApi>;
    readonly now: () => Date;
    readonly sleep: (ms: number) => Promise<void>;
    /** Seconds between two polls of --wait. */
    readonly pollSeconds: number;
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
}

export async function main(args: readonly string[]): Promise<number> {
    const clients = new Map<string, RDSClient>();
    const deps: PitrDeps = {
        rdsFor: (region) => {
            const existing = clients.get(region);
            if (existing !== undefined) {
                return existing;
            }
            const client = new RDSClient({ region });
            clients.set(region, client);
            return client;
        },
        azureServers: async (subscription) => {
            const [{ PostgreSQLManagementFlexibleServerClient }, { DefaultAzureCredential }] = await Promise.all([
                import("@azure/arm-postgresql-flexible"),
                import("@azure/identity"),
            ]);
            return new PostgreSQLManagementFlexibleServerClient(new DefaultAzureCredential(), subscription).servers;
        },
        now: () => new Date(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        pollSeconds: 30,
        out: (line) => console.log(line),
        err: (line) => console.error(line),
    };
    try {
        return await runPitr(args, deps);
    } finally {
        for (const c of clients.values()) {
            c.destroy();
        }
    }
}

/** The command with its dependencies given: exit 0 done (or dry run), 1 refused or failed, 2 bad arguments. */
export async function runPitr(args: readonly string[], deps: PitrDeps): Promise<number> {
    let parsed: PitrArgs | undefined;
    try {
        parsed = parsePitrArgs(args);
    } catch (err) {
        if (err instanceof ArgumentError) {
            deps.err(`${redactText(err.message)}\n\n${pitrUsage()}`);
            return 2;
        }
        throw err;
    }
    if (parsed === undefined) {
        deps.out(pitrUsage());
        return 0;
    }
    try {
        return parsed.kind === "rds" ? await runRds(parsed.args, deps) : await runAzure(parsed.args, deps);
    } catch (err) {
        if (err instanceof PitrError) {
            deps.err(`refused: ${redactText(err.message)}`);
            return 1;
        }
        deps.err(`pitr failed: ${redactedMessage(err)}`);
        return 1;
    }
}

async function runRds(a: PitrRdsArgs, deps: PitrDeps): Promise<number> {
    const plan = await planRdsPitr(a, deps);
    for (const line of describeRdsPlan(a, plan)) {
        deps.out(line);
    }
    if (a.dryRun) {
        deps.out("dry run: nothing was created; run again without --dry-run to start the restore");
        return 0;
    }
    const started = await startRdsPitr(plan, deps);
    deps.out(`restore started: ${a.target} in ${plan.region} is ${started.DBInstanceStatus ?? "creating"}`);
    let endpoint: string | undefined;
    if (a.wait) {
        const instance = await waitForRdsInstance(deps.rdsFor(plan.region), a.target, {
            maxWaitMs: a.waitMinutes * 60_000,
            intervalMs: deps.pollSeconds * 1000,
            sleep: deps.sleep,
            now: deps.now,
            progress: (line) => deps.err(`  ${line}`),
        });
        endpoint = instance.Endpoint?.Address === undefined ? undefined : `${instance.Endpoint.Address}:${instance.Endpoint.Port ?? 5432}`;
        deps.out(`${a.target} is available${endpoint === undefined ? "" : ` at ${endpoint}`}`);
        if (plan.kmsKeyId !== undefined && instance.KmsKeyId !== plan.kmsKeyId) {
            deps.err(`warning: ${a.target} is encrypted with ${instance.KmsKeyId ?? "no key"}, not ${plan.kmsKeyId} as expected`);
        }
    }
    for (const line of rdsNextSteps(a, plan, endpoint)) {
        deps.out(line);
    }
    return 0;
}

async function runAzure(a: PitrAzureArgs, deps: PitrDeps): Promise<number> {
    const servers = await deps.azureServers(a.subscription);
    const plan = await planAzurePitr(a, servers, deps.now());
    for (const line of describeAzurePlan(a, plan)) {
        deps.out(line);
    }
    if (a.dryRun) {
        deps.out("dry run: nothing was created; run again without --dry-run to start the restore");
        return 0;
    }
    const poller = await startAzurePitr(plan, servers);
    deps.out(`restore started: ${a.target} is being created in ${plan.parameters.location ?? "(unknown location)"}`);
    let fqdn: string | undefined;
    if (a.wait) {
        const began = deps.now().getTime();
        const timer = setInterval(() => deps.err(`  ${a.target}: provisioning (${Math.floor((deps.now().getTime() - began) / 60_000)} min)`), deps.pollSeconds * 1000);
        try {
            const server = await poller.pollUntilDone({ abortSignal: AbortSignal.timeout(a.waitMinutes * 60_000) });
            fqdn = server.fullyQualifiedDomainName;
            deps.out(`${a.target} is ${server.state ?? "ready"}${fqdn === undefined ? "" : ` at ${fqdn}:5432`}`);
        } catch (err) {
            if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
                throw new PitrError(`${a.target}: not ready after ${a.waitMinutes} min; the restore continues in Azure, check it with: az postgres flexible-server show -g ${a.resourceGroup} -n ${a.target}`);
            }
            throw err;
        } finally {
            clearInterval(timer);
        }
    }
    for (const line of azureNextSteps(a, plan, fqdn)) {
        deps.out(line);
    }
    return 0;
}
