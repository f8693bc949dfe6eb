import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import {
    KEY_VAULT_NAME,
    KEY_VAULT_OBJECT_NAME,
    KeyRotation,
    SOFT_DELETE_RANGE,
    keyRotationPolicy,
    keyRotationProblem,
    secretUri,
    vaultUri,
} from "./documents/keyVault";
import { builtInRoleDefinitionId } from "./documents/roles";
import { randomNameSuffix } from "./geoRedundantStorage";

export interface BackupKeyVaultArgs {
    /** Resource group of the vault and the identity. @default none - required */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure location (programmatic name). @default none - required */
    readonly location: pulumi.Input<string>;
    /** Microsoft Entra tenant of the vault. @default none - required */
    readonly tenantId: pulumi.Input<string>;
    /** Azure name of the vault (3-24 letters, digits and '-', globally unique). @default "kv-" + the component name's letters and digits (up to 12) + 8 random characters */
    readonly vaultName?: string;
    /** Days a deleted vault, key or secret can be recovered (7..90); purge protection keeps them that long whatever anyone does. @default 90 */
    readonly softDeleteDays?: number;
    /** Name of the storage account's customer-managed key. @default "storage-cmk" */
    readonly keyName?: string;
    /** RSA key size in bits (2048, 3072 or 4096, the sizes Azure Storage accepts). @default 3072 */
    readonly keySize?: 2048 | 3072 | 4096;
    /** Automatic rotation of the key. @default { rotateAfterDays: 365, expiryDays: 730 } */
    readonly rotation?: KeyRotation;
    /** Secrets the jobs read, by name (e.g. the database credential JSON); values are kept as Pulumi secrets. @default {} */
    readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Pulumi `protect` on the vault and the key. @default false */
    readonly protect?: boolean;
    /** Tags on the vault. @default none */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

type ResolvedArgs = Required<Omit<BackupKeyVaultArgs, "vaultName" | "tags">> & Pick<BackupKeyVaultArgs, "vaultName" | "tags">;

function withDefaults(args: BackupKeyVaultArgs): ResolvedArgs {
    return {
        ...args,
        softDeleteDays: args.softDeleteDays ?? SOFT_DELETE_RANGE.max,
        keyName: args.keyName ?? "storage-cmk",
        keySize: args.keySize ?? 3072,
        rotation: args.rotation ?? { rotateAfterDays: 365, expiryDays: 730 },
        secrets: args.secrets ?? {},
        protect: args.protect ?? false,
    };
}

/**
 * A Key Vault for an Azure stack: purge protection and RBAC authorization (no access policies),
 * an RSA key with automatic rotation for the storage account's customer-managed encryption, a
 * user-assigned identity holding "Key Vault Crypto Service Encryption User" on that key only,
 * and the secrets the jobs read.
 *
 * Azure Storage requires soft delete and purge protection on a vault holding its customer-managed
 * key ("Customer-managed keys for Azure Storage encryption", Key Vault requirements,
 * https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview).
 */
export class BackupKeyVault extends pulumi.ComponentResource {
    /** ARM id of the Key Vault. */
    public readonly vaultId: pulumi.Output<string>;
    /** Name of the Key Vault. */
    public readonly vaultName: pulumi.Output<string>;
    /** `https://<vault>.vault.azure.net/`. */
    public readonly vaultUri: pulumi.Output<string>;
    /** Name of the key. */
    public readonly keyName: pulumi.Output<string>;
    /** ARM id of the key. */
    public readonly keyId: pulumi.Output<string>;
    /** ARM ID of the identity the storage account reads the key with; known once its role assignment on the key exists. */
    public readonly encryptionIdentityId: pulumi.Output<string>;
    /** Versionless URI of each secret (`https://<vault>.vault.azure.net/secrets/<name>`): DB_KEYVAULT_SECRET_URI. */
    public readonly secretUris: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: BackupKeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-backup-stack:azure:BackupKeyVault", name, {}, opts);
        const a = withDefaults(args);
        this.validate(name, a);

        const vaultName = pulumi.output(a.vaultName ?? randomNameSuffix(`${name}-vault-suffix`, this).apply((suffix) => `kv-${vaultNameStem(name)}-${suffix}`));

        const vault = new keyvault.Vault(`${name}-vault`, {
            resourceGroupName: a.resourceGroupName,
            location: a.location,
            vaultName,
            properties: {
                tenantId: a.tenantId,
                sku: { family: "A", name: "standard" },
                enableRbacAuthorization: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: a.softDeleteDays,
                enablePurgeProtection: true,
                enabledForDeployment: false,
                enabledForDiskEncryption: false,
                enabledForTemplateDeployment: false,
            },
            ...(a.tags !== undefined ? { tags: a.tags } : {}),
        }, { parent: this, protect: a.protect });

        // The name given, once the vault exists (Azure keeps the name it was created with).
        const createdVaultName = pulumi.all([vaultName, vault.id]).apply(([n]) => n);
        const key = new keyvault.Key(`${name}-key`, {
            resourceGroupName: a.resourceGroupName,
            vaultName: createdVaultName,
            keyName: a.keyName,
            properties: {
                kty: "RSA",
                keySize: a.keySize,
                keyOps: ["wrapKey", "unwrapKey"],
                rotationPolicy: keyRotationPolicy(a.rotation),
            },
        }, { parent: this, protect: a.protect });

        const identity = new managedidentity.UserAssignedIdentity(`${name}-storage-identity`, {
            resourceGroupName: a.resourceGroupName,
            location: a.location,
        }, { parent: this });

        const keyAccess = new authorization.RoleAssignment(`${name}-storage-key-access`, {
            scope: key.id,
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: builtInRoleDefinitionId("keyVaultCryptoServiceEncryptionUser"),
        }, { parent: this });

        const uris: Record<string, pulumi.Output<string>> = {};
        for (const [secretName, value] of Object.entries(a.secrets).sort(([x], [y]) => x.localeCompare(y))) {
            const secret = new keyvault.Secret(`${name}-secret-${secretName}`, {
                resourceGroupName: a.resourceGroupName,
                vaultName: createdVaultName,
                secretName,
                properties: { value: pulumi.secret(value), contentType: "application/json" },
            }, { parent: this });
            uris[secretName] = pulumi.all([createdVaultName, secret.id]).apply(([v]) => secretUri(v, secretName));
        }

        this.vaultId = vault.id;
        this.vaultName = createdVaultName;
        this.vaultUri = createdVaultName.apply(vaultUri);
        this.keyName = key.id.apply(() => a.keyName);
        this.keyId = key.id;
        // Resolved only once the identity holds its role on the key: an account encrypted with it
        // before that would fail to read the key.
        this.encryptionIdentityId = pulumi.all([identity.id, keyAccess.id]).apply(([id]) => id);
        this.secretUris = pulumi.output(uris);
        this.registerOutputs({
            vaultId: this.vaultId,
            vaultName: this.vaultName,
            vaultUri: this.vaultUri,
            keyName: this.keyName,
            keyId: this.keyId,
            encryptionIdentityId: this.encryptionIdentityId,
            secretUris: this.secretUris,
        });
    }

    private validate(name: string, a: ResolvedArgs): void {
        const fail = (message: string): never => {
            throw new pulumi.ResourceError(message, this);
        };
        if (!Number.isInteger(a.softDeleteDays) || a.softDeleteDays < SOFT_DELETE_RANGE.min || a.softDeleteDays > SOFT_DELETE_RANGE.max) {
            fail(`softDeleteDays: ${a.softDeleteDays} is out of range ${SOFT_DELETE_RANGE.min}..${SOFT_DELETE_RANGE.max}`);
        }
        if (a.vaultName !== undefined && !KEY_VAULT_NAME.test(a.vaultName)) {
            fail(`vaultName: "${a.vaultName}" must be 3-24 letters, digits and single '-', starting with a letter and ending with a letter or digit`);
        }
        if (a.vaultName === undefined && vaultNameStem(name).length === 0) {
            fail(`name: "${name}" has no letters or digits to derive a vault name from; give vaultName`);
        }
        for (const n of [a.keyName, ...Object.keys(a.secrets)]) {
            if (!KEY_VAULT_OBJECT_NAME.test(n)) fail(`"${n}": key and secret names must be 1-127 letters, digits and '-'`);
        }
        const rotation = keyRotationProblem(a.rotation);
        if (rotation !== undefined) fail(`rotation.${rotation.key}: ${rotation.value} ${rotation.message}`);
    }
}

/** Letters and digits of a component name, cut to 12: with "kv-", "-" and 8 random characters, at most 24. */
export function vaultNameStem(name: string): string {
    return name.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 12);
}
