import { AWS_REGIONS } from "../../config/regions";
import { ArgumentError, integerOption, parseOptions, required, usage } from "../args";
import type { AzurePitrRequest } from "./azure";
import type { RdsPitrRequest } from "./rds";
import type { RestorePoint } from "./shared";

/** The options of `pitr rds` and `pitr azure`, and their parsing. */

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

export function pitrUsage(): string {
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
