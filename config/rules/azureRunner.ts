import { databaseSecretName } from "../../components/azure/documents/keyVault";
import type { Finding, Rule } from "../findings";
import { error, warning } from "../findings";
import { MAX_LOG_ALERT_LOOKBACK_HOURS, consumptionSizeProblems, cronLongestGapMinutes } from "../../components/azure/documents/jobs";
import { PROD_MIN_LOG_RETENTION_DAYS, imageClientMajor } from "./functions";
import type { ParsedConfig } from "../schema";

/** Newest client the functions' image installs (Amazon Linux 2023 packages postgresql15..17; functions.image.pgMajor). */
const MAX_IMAGE_PG_MAJOR = 17;

type AzureConfig = NonNullable<ParsedConfig["azure"]>;
type RunnerConfig = NonNullable<AzureConfig["runner"]>;
type ServerConfig = AzureConfig["servers"][number];

/** The runner's memory: the explicit value, else the one the Consumption profile allows with its CPU. */
export function effectiveRunnerMemoryGi(runner: RunnerConfig): number {
    return runner.memoryGi ?? runner.cpu * 2;
}

/** PostgreSQL client major of the runner's image: the functions' one, raised to the newest target server's major. */
export function runnerClientMajor(config: ParsedConfig): number {
    const majors = targets(config).flatMap(({ server }) => (server === undefined ? [] : [Number(server.version)]));
    return Math.max(imageClientMajor(config), ...majors);
}

/** Each runner target with its index and the server it names (undefined when it names none). */
function targets(config: ParsedConfig): {
    runner: RunnerConfig; i: number; target: RunnerConfig["targets"][number]; server: ServerConfig | undefined; serverIndex: number;
}[] {
    const runner = config.azure?.runner;
    const servers = config.azure?.servers ?? [];
    if (runner === undefined) return [];
    return runner.targets.map((target, i) => {
        const serverIndex = servers.findIndex((s) => s.name === target.server);
        return { runner, i, target, server: servers[serverIndex], serverIndex };
    });
}

/** The jobs write their dumps to the stack's storage account: without one they have nowhere to write. */
export const runnerNeedsStorage: Rule = (config) =>
    config.azure?.runner === undefined || config.azure.storage !== undefined ? [] : [
        error("azure.storage", undefined, "is required with azure.runner: the jobs write their dumps, manifests and exports to its backup container"),
    ];

/** Every target names a server of azure.servers, once. */
export const runnerTargetsKnown: Rule = (config) => {
    const names = (config.azure?.servers ?? []).map((s) => s.name);
    const seen = new Map<string, number>();
    return targets(config).flatMap(({ i, target, server }): Finding[] => {
        const key = `azure.runner.targets[${i}].server`;
        if (server === undefined) return [error(key, target.server, `names no server of azure.servers; allowed: ${names.join(", ") || "(none declared)"}`)];
        const earlier = seen.get(target.server);
        seen.set(target.server, i);
        return earlier === undefined ? [] : [error(key, target.server, `is already a target (azure.runner.targets[${earlier}]); one target per server`)];
    });
};

/** A target authenticates one way: a Key Vault secret, or an Entra role mapped to the runner's identity. */
export const runnerTargetCredential: Rule = (config) =>
    targets(config).flatMap(({ i, target }) => {
        const given = [target.keyVaultLogin, target.entraUser].filter((v) => v !== undefined).length;
        return given === 1 ? [] : [error(`azure.runner.targets[${i}].keyVaultLogin`, target.keyVaultLogin,
            given === 0
                ? "and entraUser are both missing; give one: the Key Vault secret with the login, or the PostgreSQL role mapped to the runner's managed identity"
                : "and entraUser are both given; give one")];
    });

/** A Key Vault secret needs the vault: the stack's own (azure.keyVault) or one named by azure.runner.keyVaultId. */
export const runnerKeyVaultGiven: Rule = (config) => {
    const runner = config.azure?.runner;
    if (runner === undefined || runner.keyVaultId !== undefined) return [];
    if (config.azure?.keyVault !== undefined) {
        // The stack's vault holds exactly one login secret per password-authenticated server.
        return runner.targets.flatMap((t, i) => (t.keyVaultLogin === undefined || t.keyVaultLogin === databaseSecretName(t.server) ? [] : [error(`azure.runner.targets[${i}].keyVaultLogin`, t.keyVaultLogin,
            `is not a secret of the stack's Key Vault (azure.keyVault): it holds server ${t.server}'s login as "${databaseSecretName(t.server)}"; name that, or set azure.runner.keyVaultId to your own vault`)]));
    }
    const first = runner.targets.findIndex((t) => t.keyVaultLogin !== undefined);
    return first < 0 ? [] : [error("azure.runner.keyVaultId", undefined,
        `is required without azure.keyVault: azure.runner.targets[${first}].keyVaultLogin names a secret, and the runner's identity is granted Key Vault Secrets User on it in this vault`)];
};

/**
 * An Entra role can only be created by the server's Microsoft Entra administrator, and only on a
 * server with Entra authentication ("Manage Microsoft Entra roles in Azure Database for
 * PostgreSQL", https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-azure-ad-users).
 */
export const runnerEntraUserNeedsAdmin: Rule = (config) =>
    targets(config).flatMap(({ i, target, server }) =>
        target.entraUser === undefined || server === undefined || server.authentication.entraAdmin !== undefined ? [] : [
            error(`azure.runner.targets[${i}].entraUser`, target.entraUser,
                `needs Microsoft Entra authentication on server ${server.name}: set azure.servers[].authentication.entraAdmin, or use keyVaultLogin`),
        ]);

/** CPU and memory form a pair the Consumption profile offers. */
export const runnerSizeOffered: Rule = (config) => {
    const runner = config.azure?.runner;
    if (runner === undefined) return [];
    return consumptionSizeProblems(runner.cpu, effectiveRunnerMemoryGi(runner)).map((p) => error(`azure.runner.${p.key}`, p.value, p.message));
};

function ipNumber(ip: string): number {
    return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

/**
 * The jobs reach every target's server. A Container Apps environment's outbound address is not
 * fixed: only a workload-profiles environment in a subnet of the customer's VNet can leave through
 * a NAT gateway with a static public IP, and only such an environment routes into a VNet
 * ("Networking in Azure Container Apps environment", environment types,
 * https://learn.microsoft.com/azure/container-apps/networking; consulted 2026-11-30). So a
 * VNet-integrated server needs the environment's infrastructure subnet, and a server behind
 * firewall rules needs the NAT gateway's addresses, each inside one of its rules.
 */
export const runnerReachesServers: Rule = (config) =>
    targets(config).flatMap(({ runner, i, target, server, serverIndex }): Finding[] => {
        if (server === undefined) return [];
        const network = runner.network;
        if (server.network.delegatedSubnetId !== undefined) {
            return network.infrastructureSubnetId !== undefined ? [] : [error("azure.runner.network.infrastructureSubnetId", undefined,
                `is required: azure.runner.targets[${i}] runs against ${target.server}, which is VNet-integrated (private access only); give a subnet ` +
                "in (or peered with) the server's VNet, at least /27, delegated to Microsoft.App/environments")];
        }
        if (server.network.firewallRules.length === 0) {
            return [error(`azure.servers[${serverIndex}].network`, {},
                `declares no network path, but azure.runner.targets[${i}] runs against it: give firewallRules covering ` +
                "azure.runner.network.egressIpAddresses, or VNet integration")];
        }
        if (network.egressIpAddresses.length === 0 || network.infrastructureSubnetId === undefined) {
            return [error("azure.runner.network.egressIpAddresses", network.egressIpAddresses,
                `must list the public IPs of a NAT gateway on azure.runner.network.infrastructureSubnetId: ${target.server} accepts ` +
                "clients by firewall rule only, and a Container Apps environment has no fixed outbound address otherwise")];
        }
        const ranges = server.network.firewallRules.map((r) => [ipNumber(r.startIpAddress), ipNumber(r.endIpAddress ?? r.startIpAddress)] as const);
        return network.egressIpAddresses.flatMap((ip, j) =>
            ranges.some(([start, end]) => ipNumber(ip) >= start && ipNumber(ip) <= end) ? [] : [
                error(`azure.runner.network.egressIpAddresses[${j}]`, ip,
                    `is not inside any firewall rule of server ${target.server}: the jobs would be refused; add a rule for it to azure.servers[].network.firewallRules`),
            ]);
    });

/** Export jobs run on schedules.export for targets with tables; one without the other is a mistake. */
export const runnerExportScheduled: Rule = (config) => {
    const runner = config.azure?.runner;
    if (runner === undefined) return [];
    const exporting = runner.targets.findIndex((t) => t.exportTables.length > 0);
    if (exporting >= 0 && runner.schedules.export === undefined) {
        return [error("azure.runner.schedules.export", undefined,
            `is required: azure.runner.targets[${exporting}].exportTables lists tables, which are exported on this schedule (five-field cron, UTC)`)];
    }
    if (exporting < 0 && runner.schedules.export !== undefined) {
        return [warning("azure.runner.schedules.export", runner.schedules.export, "is set but no target lists exportTables: no export job is created")];
    }
    return [];
};

/** pg_dump refuses servers of a newer major than itself, and the image packages clients up to MAX_IMAGE_PG_MAJOR. */
export const runnerClientCoversServers: Rule = (config) =>
    targets(config).flatMap(({ i, target, server }) =>
        server === undefined || Number(server.version) <= MAX_IMAGE_PG_MAJOR ? [] : [
            error(`azure.runner.targets[${i}].server`, target.server,
                `runs PostgreSQL ${server.version}, newer than the newest client the functions' image packages (${MAX_IMAGE_PG_MAJOR}); pg_dump cannot dump it`),
        ]);

/**
 * The missing-backup alerts look for a success within azure.runner.maxBackupAgeHours: a run that
 * starts on schedule and takes up to its timeout must fit, or the alert fires between two good
 * runs. Checked for dump and verify, whose successes the alerts watch.
 */
export const runnerSchedulesWithinBackupAge: Rule = (config) => {
    const runner = config.azure?.runner;
    if (runner === undefined) return [];
    const allowed = runner.maxBackupAgeHours * 60;
    return (["dump", "verify"] as const).flatMap((kind) => {
        const needed = cronLongestGapMinutes(runner.schedules[kind]) + runner.timeoutMinutes[kind];
        if (needed <= allowed) return [];
        const hours = Math.ceil(needed / 60);
        return [error("azure.runner.maxBackupAgeHours", runner.maxBackupAgeHours,
            `is shorter than the longest gap of schedules.${kind} ("${runner.schedules[kind]}") plus timeoutMinutes.${kind}: ` +
            `${needed} minutes, so "missing backup" would fire between good runs; ` +
            (hours <= MAX_LOG_ALERT_LOOKBACK_HOURS
                ? `allowed: ${hours}..${MAX_LOG_ALERT_LOOKBACK_HOURS}`
                : `a log search alert looks back ${MAX_LOG_ALERT_LOOKBACK_HOURS} hours at most, so run ${kind} more often`))];
    });
};

/** Prod keeps the jobs' logs, the audit trail of every dump and verification, as long as the AWS functions' logs. */
export const prodRunnerLogsKept: Rule = (config) => {
    const runner = config.azure?.runner;
    if (config.environment !== "prod" || runner === undefined || runner.logRetentionDays >= PROD_MIN_LOG_RETENTION_DAYS) return [];
    return [error("azure.runner.logRetentionDays", runner.logRetentionDays,
        `is below ${PROD_MIN_LOG_RETENTION_DAYS} days; prod keeps the jobs' logs (the audit trail of every dump and verification) at least a year: allowed ${PROD_MIN_LOG_RETENTION_DAYS}..730`)];
};

export const rules: readonly Rule[] = [
    prodRunnerLogsKept,
    runnerSchedulesWithinBackupAge,
    runnerClientCoversServers,
    runnerNeedsStorage,
    runnerTargetsKnown,
    runnerTargetCredential,
    runnerKeyVaultGiven,
    runnerEntraUserNeedsAdmin,
    runnerSizeOffered,
    runnerReachesServers,
    runnerExportScheduled,
];
