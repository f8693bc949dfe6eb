import { RDSClient } from "@aws-sdk/client-rds";
import { AWS_REGIONS } from "../config/regions";
import { ArgumentError, integerOption, parseOptions, required, usage } from "./args";
import { redactedMessage, redactText } from "../lambdas/shared/redact";
import { planAzurePitr, startAzurePitr, type AzurePitrPlan, type AzurePitrRequest, type AzureServersApi } from "./pitr/azure";
import { planRdsPitr, startRdsPitr, waitForRdsInstance, type RdsClientFactory, type RdsPitrPlan, type RdsPitrRequest } from "./pitr/rds";
import { formatWindow, PitrError, type RestorePoint } from "./pitr/shared";

/**
 * `pitr rds ...` / `pitr azure ...`: a point-in-time restore into a NEW instance or server. The
 * source is only read; an existing target is refused; `--dry-run` prints the request only.
 */

const TIME_OPTIONS = {
    time: { type: "string", value: "ISO-TIME", description: "restore to this time, ISO-8601 with a zone (e.g. 2026-11-21T12:00:00Z); must be in the restorable window" },
    latest: { type: "boolean", description: "restore to the latest restorable time" },
} as const;

const RUN_OPTIONS = {
    "dry-run": { type: "boolean", description: "print the window and the request, create nothing" },
    wait: { type: "boolean", description: "wait until the new instance/server is available, with progress" },
    "wait-minutes": { type: "string", value: "N", description: "with --wait: give up waiting after N minutes, 1..1440 (default 180); the restore itself goes on" },
} as const;

const RDS_OPTIONS = {
    source: { type: "string", value: "DB-INSTANCE-ID", description: "instance to restore from (required; only read)" },
    target: { type: "string", value: "NEW-ID", description: "identifier of the NEW instance (required; must not exist)" },
    ...TIME_OPTIONS,
    region: { type: "string", value: "REGION", description: "region of the source (default: AWS_REGION)" },
    "from-dr": { type: "boolean", description: "restore in the DR region from the replicated automated backups" },
    "dr-region": { type: "string", value: "REGION", description: "with --from-dr: the DR region (required there)" },
    "instance-class": { type: "string", value: "CLASS", description: "instance class of the new instance (default: the source's)" },
    "subnet-group": { type: "string", value: "NAME", description: "DB subnet group (default: the source's; required with --from-dr)" },
    "security-group": { type: "string", value: "sg-...", description: "VPC security group, repeatable or comma-separated (default: the source's)" },
    ...RUN_OPTIONS,
} as const;

const AZURE_OPTIONS = {
    subscription: { type: "string", value: "GUID", description: "Azure subscription id (required)" },
    "resource-group": { type: "string", value: "RG", description: "resource group of the source; the new server goes there too (required)" },
    source: { type: "string", value: "SERVER", description: "Flexible Server to restore from (required; only read)" },
    target: { type: "string", value: "NEW-SERVER", description: "name of the NEW server (required; must not exist)" },
    ...TIME_OPTIONS,
    location: { type: "string", value: "LOCATION", description: "region of the new server (default: the source's; with --geo: its paired region)" },
    geo: { type: "boolean", description: "geo-restore from the geo-redundant backups into the paired region" },
    ...RUN_OPTIONS,
} as const;

const RDS_SYNOPSIS =
    "rds --source ID --target NEW-ID (--time ISO-TIME | --latest) [--region R] [--from-dr --dr-region R] [--instance-class C] [--subnet-group G] [--security-group sg-...]... [--dry-run] [--wait]";
const AZURE_SYNOPSIS =
    "azure --subscription ID --resource-group RG --source SERVER --target NEW-SERVER (--time ISO-TIME | --latest) [--location L] [--geo] [--dry-run] [--wait]";

function pitrUsage(): string {
    return [usage("pitr", RDS_SYNOPSIS, RDS_OPTIONS), "", usage("pitr", AZURE_SYNOPSIS, AZURE_OPTIONS)].join("\n");
}

interface RunOptions {
    readonly dryRun: boolean;
    readonly wait: boolean;
    readonly waitMinutes: number;
}

export interface PitrRdsArgs extends RdsPitrRequest, RunOptions {}

export interface PitrAzureArgs extends AzurePitrRequest, RunOptions {}

export type PitrArgs = { readonly kind: "rds"; readonly args: PitrRdsArgs } | { readonly kind: "azure"; readonly args: PitrAzureArgs };

const DEFAULT_WAIT_MINUTES = 180;
const RDS_IDENTIFIER = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,62}$/;
const SUBNET_GROUP = /^[A-Za-z0-9 ._-]{1,255}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = /^[-\w._()]{0,89}[-\w_()]$/;
const AZURE_SERVER = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const AZURE_LOCATION = /^[a-z0-9]{3,40}$/;

/** undefined means `--help`. Throws ArgumentError naming the argument, the value and what is allowed. */
export function parsePitrArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): PitrArgs | undefined {
    const [kind, ...rest] = args;
    if (kind === undefined || kind === "--help" || kind === "-h") {
        return undefined;
    }
    if (kind === "rds") {
        const parsed = parseRdsArgs(rest, env);
        return parsed === undefined ? undefined : { kind, args: parsed };
    }
    if (kind === "azure") {
        const parsed = parseAzureArgs(rest);
        return parsed === undefined ? undefined : { kind, args: parsed };
    }
    throw new ArgumentError(`${JSON.stringify(kind)}: unknown kind of restore; expected "rds" or "azure" (pitr rds ... | pitr azure ...)`);
}

function parseRdsArgs(args: readonly string[], env: NodeJS.ProcessEnv): PitrRdsArgs | undefined {
    const { securityGroups, rest } = takeSecurityGroups(args);
    const o = parseOptions(rest, RDS_OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const source = matching("source", required("source", o.source, "a DB instance identifier"), RDS_IDENTIFIER, "a DB instance identifier (1..63 letters, digits and single hyphens, starting with a letter)");
    const target = matching("target", required("target", o.target, "a new DB instance identifier"), RDS_IDENTIFIER, "a DB instance identifier (1..63 letters, digits and single hyphens, starting with a letter)");
    const region = awsRegion("region", o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION, "the source's AWS region (or set AWS_REGION)");
    const fromDr = o["from-dr"] === true;
    let drRegion: string | undefined;
    if (fromDr) {
        drRegion = awsRegion("dr-region", o["dr-region"], "the DR region the automated backups are replicated to");
        if (drRegion === region) {
            throw new ArgumentError(`--dr-region: "${drRegion}" is not allowed; it must differ from the source's region ${region}`);
        }
    } else if (o["dr-region"] !== undefined) {
        throw new ArgumentError(`--dr-region: "${o["dr-region"]}" is not allowed without --from-dr; add --from-dr to restore in the DR region`);
    }
    const instanceClass = o["instance-class"] === undefined ? undefined : matching("instance-class", o["instance-class"], INSTANCE_CLASS, "an RDS instance class such as db.m6g.large");
    const subnetGroup = o["subnet-group"] === undefined ? undefined : matching("subnet-group", o["subnet-group"], SUBNET_GROUP, "a DB subnet group name (1..255 of letters, digits, space . _ -)");
    return {
        source,
        target,
        point: restorePoint(o.time, o.latest === true),
        region,
        ...(drRegion === undefined ? {} : { drRegion }),
        ...(instanceClass === undefined ? {} : { instanceClass }),
        ...(subnetGroup === undefined ? {} : { subnetGroup }),
        ...(securityGroups.length === 0 ? {} : { securityGroups }),
        ...runOptions(o),
    };
}

function parseAzureArgs(args: readonly string[]): PitrAzureArgs | undefined {
    const o = parseOptions(args, AZURE_OPTIONS);
    if (o === undefined) {
        return undefined;
    }
    const subscription = matching("subscription", required("subscription", o.subscription, "an Azure subscription id (GUID)"), GUID, "a subscription id (GUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    const resourceGroup = matching("resource-group", required("resource-group", o["resource-group"], "a resource group name"), RESOURCE_GROUP, "a resource group name (1..90 of letters, digits, - _ . ( ), not ending with .)");
    const serverRule = "a Flexible Server name (3..63 of lower-case letters, digits and -, not starting or ending with -)";
    const source = matching("source", required("source", o.source, "a Flexible Server name"), AZURE_SERVER, serverRule);
    const target = matching("target", required("target", o.target, "a new Flexible Server name"), AZURE_SERVER, serverRule);
    const location = o.location === undefined ? undefined : matching("location", o.location, AZURE_LOCATION, "an Azure region's programmatic name such as westeurope");
    return {
        subscription,
        resourceGroup,
        source,
        target,
        point: restorePoint(o.time, o.latest === true),
        ...(location === undefined ? {} : { location }),
        geo: o.geo === true,
        ...runOptions(o),
    };
}

/** `--security-group` may be given more than once (and comma-separated): collected here, the rest goes to parseOptions. */
function takeSecurityGroups(args: readonly string[]): { securityGroups: string[]; rest: string[] } {
    const values: string[] = [];
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === "--security-group") {
            const value = args[i + 1];
            if (value === undefined || value.startsWith("--")) {
                throw new ArgumentError("--security-group: missing value; expected a security group id such as sg-0123456789abcdef0");
            }
            values.push(value);
            i++;
        } else if (arg.startsWith("--security-group=")) {
            values.push(arg.slice("--security-group=".length));
        } else {
            rest.push(arg);
        }
    }
    const groups = values.flatMap((v) => v.split(",")).map((v) => v.trim());
    for (const g of groups) {
        matching("security-group", g, SECURITY_GROUP, "a VPC security group id such as sg-0123456789abcdef0");
    }
    return { securityGroups: [...new Set(groups)], rest };
}

function restorePoint(time: string | undefined, latest: boolean): RestorePoint {
    if (time !== undefined && latest) {
        throw new ArgumentError(`--time, --latest: given together; expected exactly one of them`);
    }
    if (time !== undefined) {
        return { time };
    }
    if (latest) {
        return { latest: true };
    }
    throw new ArgumentError("--time or --latest: missing; expected exactly one of them to choose the restore point");
}

function runOptions(o: { readonly "dry-run"?: boolean; readonly wait?: boolean; readonly "wait-minutes"?: string }): RunOptions {
    if (o["wait-minutes"] !== undefined && o.wait !== true) {
        throw new ArgumentError(`--wait-minutes: "${o["wait-minutes"]}" is not allowed without --wait`);
    }
    if (o.wait === true && o["dry-run"] === true) {
        throw new ArgumentError("--wait: not allowed with --dry-run, which creates nothing to wait for");
    }
    return { dryRun: o["dry-run"] === true, wait: o.wait === true, waitMinutes: integerOption("wait-minutes", o["wait-minutes"], 1, 1440) ?? DEFAULT_WAIT_MINUTES };
}

function matching(name: string, value: string, pattern: RegExp, expected: string): string {
    if (!pattern.test(value)) {
        throw new ArgumentError(`--${name}: "${value}" is not allowed; expected ${expected}`);
    }
    return value;
}

function awsRegion(name: string, value: string | undefined, expected: string): string {
    const region = required(name, value, expected);
    if (!AWS_REGIONS.includes(region)) {
        throw new ArgumentError(`--${name}: "${region}" is not allowed; expected an AWS region such as ${AWS_REGIONS.slice(0, 4).join(", ")}`);
    }
    return region;
}

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

/** What is about to happen, and the request as it is (or would be) sent. */
export function describeRdsPlan(a: PitrRdsArgs, plan: RdsPitrPlan): string[] {
    const i = plan.input;
    return [
        `point-in-time restore of RDS instance ${a.source} (${a.region})${a.drRegion === undefined ? "" : ` from its backups replicated to ${a.drRegion}`}`,
        `  restorable window  ${formatWindow(plan.window)} (UTC)`,
        `  restore to         ${plan.restoreTime === undefined ? `the latest restorable time (about ${plan.window.latest.toISOString()})` : plan.restoreTime.toISOString()}`,
        `  new instance       ${a.target} in ${plan.region}, ${i.DBInstanceClass ?? "class of the source"}${i.MultiAZ === true ? ", Multi-AZ" : ""}, storage ${i.StorageType ?? "as the source"}`,
        `  network            subnet group ${i.DBSubnetGroupName ?? "(default)"}, security groups ${(i.VpcSecurityGroupIds ?? []).join(", ") || "(VPC default)"}, ${i.PubliclyAccessible === true ? "PUBLIC" : "not public"}`,
        `  encryption         ${plan.kmsKeyId === undefined ? "none (the source is not encrypted)" : `KMS key ${plan.kmsKeyId} (inherited from the ${a.drRegion === undefined ? "source" : "replicated backups"})`}`,
        `  deletion protection on; tags ${(i.Tags ?? []).map((t) => `${t.Key ?? ""}=${t.Value ?? ""}`).join(", ")}`,
        ...plan.notes.map((n) => `note: ${n}`),
        "request (RestoreDBInstanceToPointInTime):",
        JSON.stringify(i, null, 2),
    ];
}

export function describeAzurePlan(a: PitrAzureArgs, plan: AzurePitrPlan): string[] {
    return [
        `point-in-time restore of Azure Flexible Server ${a.source} (resource group ${a.resourceGroup})${a.geo ? " from its geo-redundant backups" : ""}`,
        `  restorable window  ${formatWindow(plan.window)} (UTC; the end is now)`,
        `  restore to         ${plan.restoreTime.toISOString()}${plan.latest ? " (latest: now)" : ""}`,
        `  new server         ${a.target} in ${plan.parameters.location ?? "(unknown)"}, create mode ${plan.parameters.createMode ?? ""}`,
        ...plan.notes.map((n) => `note: ${n}`),
        "request (servers.beginCreateOrUpdate):",
        JSON.stringify(plan.parameters, null, 2),
    ];
}

function rdsNextSteps(a: PitrRdsArgs, plan: RdsPitrPlan, endpoint: string | undefined): string[] {
    const region = `--region ${plan.region}`;
    return [
        "",
        "next steps:",
        endpoint === undefined
            ? `  1. wait for it: aws rds wait db-instance-available --db-instance-identifier ${a.target} ${region}; its endpoint: aws rds describe-db-instances --db-instance-identifier ${a.target} ${region} --query 'DBInstances[0].Endpoint'`
            : `  1. endpoint: ${endpoint}`,
        plan.input.ManageMasterUserPassword === true
            ? `  2. credentials: RDS keeps a new master password in Secrets Manager: aws rds describe-db-instances --db-instance-identifier ${a.target} ${region} --query 'DBInstances[0].MasterUserSecret.SecretArn'`
            : "  2. credentials: the master password is the source's at the restore time",
        "  3. check the data before switching: compare row counts of the main tables with the source, or restore the dump nearest the",
        "     restore time next to it and compare (npm run cli -- list ..., npm run cli -- restore ... --target-url postgres://...@<endpoint>/check)",
        "  4. switch the application: point its connection (secret, DNS name or config) at the new endpoint",
        `  5. keep the source ${a.source} until the application runs on the new instance; it was not touched`,
        `  6. the new instance has deletion protection on and is not managed by Pulumi: adopt it (pulumi import) or remove it when done`,
    ];
}

function azureNextSteps(a: PitrAzureArgs, plan: AzurePitrPlan, fqdn: string | undefined): string[] {
    return [
        "",
        "next steps:",
        fqdn === undefined
            ? `  1. wait for it: az postgres flexible-server show -g ${plan.resourceGroup} -n ${a.target} --query '{state:state,fqdn:fullyQualifiedDomainName}'`
            : `  1. endpoint: ${fqdn}:5432`,
        "  2. credentials: the administrator login and password (or Entra administrator) are the source's at the restore time",
        "  3. check its networking (firewall rules or virtual network) and the data: compare row counts with the source, or restore the",
        "     dump nearest the restore time next to it and compare (npm run cli -- restore ... --target-url postgres://...@<fqdn>/check)",
        "  4. switch the application: point its connection at the new server",
        `  5. keep the source ${a.source} until the application runs on the new server; it was not touched`,
        "  6. the new server is not managed by Pulumi: adopt it (pulumi import) or delete it when done",
    ];
}
