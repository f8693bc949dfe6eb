/**
 * What each AWS database's credentials are in the DR region, and what the on-call uses there.
 * The one home of that statement: `validate` prints it, the audit report's geo-redundancy
 * control lists it, docs/runbook.md explains the steps.
 *
 * - An RDS-managed master secret (`manageMasterUserPassword`, the functions' credentials when no
 *   `credentialsSecretArn` is given) is owned by RDS, which offers no replica Regions for it
 *   (ModifyDBInstance sets only ManageMasterUserPassword, MasterUserSecretKmsKeyId and
 *   RotateMasterUserPassword), and Secrets Manager leaves a secret another service manages to that
 *   service: ReplicateSecretToRegions lists InvalidRequestException for "The secret is managed by
 *   another service, and you must use that service to update it"
 *   (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html,
 *   Errors; https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-secret.html:
 *   "For secrets created by other services, you might need to use the other service to update or
 *   rotate it"). It is not needed there: a restore in the
 *   DR region asks RDS for a new managed secret in that region, encrypted with the replica key
 *   (RestoreDBInstanceToPointInTime with ManageMasterUserPassword and MasterUserSecretKmsKeyId,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html;
 *   `pitr rds --from-dr` does so, test/unit/cli/pitr.test.ts), and the restored instance keeps every
 *   other role of the source with its password.
 * - `instance.masterCredentials: replicated` makes the stack own the master secret (a generated
 *   password the instance is created with, components/aws/rdsPostgres.ts): Secrets Manager
 *   replicates its encrypted value to the DR region under the replica key, as a replica with the
 *   same ARN but the Region that holds the primary's connection information, host included, and
 *   "can't be updated independently from its primary secret" until promoted to a standalone secret
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html,
 *   https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html). The
 *   restored instance keeps the source's roles with their passwords, the master's among them, so
 *   the replica's password logs in to it once the host is the restored endpoint; `pitr rds
 *   --from-dr` keeps that password when it can describe the source, and asks RDS for a new managed
 *   secret in the DR region when it cannot (cli/pitr/rds.ts). RDS no longer rotates this password.
 * - A configured `credentialsSecretArn` is owned outside the stack: the stack neither replicates
 *   it nor can see whether its owner did. Its replica (same ARN but the Region) would still name
 *   the primary's host.
 */
import type { StackConfig } from "./validate";

/** The credentials of one database as the DR region has them. */
export interface DrCredentials {
    readonly database: string;
    /** `rds-managed`: the instance's RDS-managed master secret; `replicated`: the stack's master secret, replicated; `configured`: `credentialsSecretArn`. */
    readonly secret: "rds-managed" | "replicated" | "configured";
    /** What exists in the DR region, and what the on-call uses there, in one sentence. */
    readonly statement: string;
}

/** The DR credentials of every AWS database of a stack, in the configuration's order. */
export function drCredentials(c: StackConfig): DrCredentials[] {
    if (c.regions === undefined) return [];
    const { primary, dr } = c.regions;
    return c.aws.databases.map((db) => {
        if (db.credentialsSecretArn === undefined && db.instance?.masterCredentials === "replicated") {
            return {
                database: db.name,
                secret: "replicated" as const,
                statement:
                    `RDS ${db.name}: its master secret, owned by the stack, is replicated to ${dr} under the replica key (same ARN but the Region; it names the ${primary} host and changes only with the primary until promoted); ` +
                    `a restore in ${dr} (\`pitr rds --from-dr\`) keeps the master password while the source can be described, so the replica's password logs in to the restored endpoint; RDS does not rotate this password.`,
            };
        }
        if (db.credentialsSecretArn === undefined) {
            return {
                database: db.name,
                secret: "rds-managed" as const,
                statement:
                    `RDS ${db.name}: its RDS-managed master secret stays in ${primary}, not replicated (RDS manages it and offers no replica Regions; Secrets Manager leaves it to RDS); ` +
                    `a restore in ${dr} (\`pitr rds --from-dr\`) gets a new RDS-managed master secret there, encrypted with the replica key, and keeps the source's other roles.`,
            };
        }
        return {
            database: db.name,
            secret: "configured" as const,
            statement:
                `${db.instance === undefined ? "Database" : "RDS"} ${db.name}: aws.databases[].credentialsSecretArn is owned outside the stack, which neither replicates it to ${dr} nor checks that its owner does; ` +
                `replicate it with the replica key (\`aws secretsmanager replicate-secret-to-regions\`) and point its host at the database restored in ${dr}.`,
        };
    });
}
