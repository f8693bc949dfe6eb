import type { AzurePitrPlan } from "./azure";
import type { PitrAzureArgs, PitrRdsArgs } from "./args";
import type { RdsPitrPlan } from "./rds";
import { formatWindow } from "./shared";

/** What `pitr` prints: the plan before the restore starts, and the next steps once it has. */

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

export function rdsNextSteps(a: PitrRdsArgs, plan: RdsPitrPlan, endpoint: string | undefined): string[] {
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

export function azureNextSteps(a: PitrAzureArgs, plan: AzurePitrPlan, fqdn: string | undefined): string[] {
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
