import type { Finding } from "../config/findings";
import type { RawStackConfig } from "../config/load";
import type { StackConfig } from "../config/validate";
import type { RetentionPicture } from "./timeline";

/** `in place`: configured as the control asks; `gap`: a part is missing or off; `flagged`: evidence contradicts it. */
export type ControlStatus = "in place" | "gap" | "flagged";

export type ControlId =
    | "rpo"
    | "rto"
    | "retention"
    | "encryption-at-rest"
    | "encryption-in-transit"
    | "immutability"
    | "geo-redundancy"
    | "point-in-time-recovery"
    | "restore-testing"
    | "verification"
    | "alerting"
    | "least-privilege";

/** A cloud a stack uses: `aws` when it declares AWS regions, `azure` when it has an azure section. */
export type Cloud = "aws" | "azure";

/**
 * What a control answers in the vocabularies of the clouds the stack uses (described in
 * mappings.ts): AWS Backup Audit Manager and Security Hub for AWS, Azure Policy and the
 * Microsoft cloud security benchmark for Azure; and in the checklists, always.
 */
export interface ControlMapping {
    /** Present when the stack uses AWS. */
    readonly aws?: {
        readonly auditManager: readonly AuditManagerControlName[];
        readonly securityHub: readonly SecurityHubControl[];
    };
    /** Present when the stack uses Azure. */
    readonly azure?: {
        /** Azure Policy built-in definitions (id: the definition's GUID). */
        readonly azurePolicy: readonly SecurityHubControl[];
        /** Microsoft cloud security benchmark v1 controls. */
        readonly cloudSecurityBenchmark: readonly SecurityHubControl[];
    };
    readonly checklist: readonly string[];
}

export type AuditManagerControlName =
    | "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
    | "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
    | "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"
    | "BACKUP_RECOVERY_POINT_ENCRYPTED"
    | "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"
    | "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"
    | "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"
    | "BACKUP_LAST_RECOVERY_POINT_CREATED"
    | "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET";

export interface SecurityHubControl {
    readonly id: string;
    readonly title: string;
}

/** A configuration key below the `pg-backup-stack:` namespace and the value in effect. */
export interface ConfigKey {
    readonly path: string;
    readonly value: string;
    /** `set`: written in the stack file; `default`: not written, the default applies. */
    readonly origin: "set" | "default";
}

export interface ReportControl {
    readonly id: ControlId;
    readonly title: string;
    readonly status: ControlStatus;
    /** What the stack promises, one statement each. */
    readonly guarantees: readonly string[];
    /** Why the status is not `in place`. */
    readonly findings: readonly string[];
    readonly keys: readonly ConfigKey[];
    /** Components (and their logical names) that enforce the control. */
    readonly resources: readonly string[];
    /** Measured figures from the evidence. */
    readonly evidence: readonly string[];
    /** What it answers in the vocabularies of the stack's clouds and in the checklists. */
    readonly mapping: ControlMapping;
}

export interface EvidenceCheck {
    /** `database/check` for verify results, the check's name for a drill. */
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

/** What a drill (`npm run drill -- --json`) or a verify run measured. */
export interface Evidence {
    readonly kind: "drill" | "verify";
    /** The file it was read from, as given. */
    readonly source: string;
    readonly ok: boolean;
    /** When it ran (verify results carry this; drill results do not). */
    readonly ranAt?: string;
    /** When the evidence file was last written, for evidence that carries no time of its own. */
    readonly fileWrittenAt?: string;
    /** The stack the evidence names (`stack` or `environment` in the document), if it names one. */
    readonly stack?: string;
    /** The databases the evidence is about. */
    readonly databases: readonly string[];
    readonly restores: readonly { readonly database: string; readonly seconds: number }[];
    readonly checks: readonly EvidenceCheck[];
}

/** Where the report comes from: when it was made and from which stack file and commit. */
export interface Provenance {
    /** ISO 8601, UTC. */
    readonly generatedAt: string;
    /** SHA-256 (hex) of the stack file's bytes. */
    readonly stackFileSha256: string;
    /** The git commit the stack file was read at, when it lies in a git work tree. */
    readonly gitCommit?: string;
}

/** The AWS Backup Audit Manager framework and report plan the stack deploys, as the report names them. */
export interface AuditManagerSetup {
    readonly frameworkName: string;
    readonly reportPlanName: string;
    readonly region: string;
    /** Where the report plan delivers, in words. */
    readonly delivery: string;
    readonly controls: readonly string[];
    /** What the controls need that the stack does not set up. */
    readonly prerequisite: string;
}

/** The evidence as the report carries it: its identity and date, and how many checks passed. */
export type EvidenceSummary = Omit<Evidence, "checks" | "restores"> & { readonly passed: number; readonly total: number };

export interface AuditReport {
    readonly source: string;
    readonly environment: string;
    readonly namespace: string;
    readonly provenance: Provenance;
    /** The clouds the stack uses: the report maps its controls to their vocabularies only. */
    readonly clouds: readonly Cloud[];
    /** One line per question an auditor asks first: RPO, RTO, retention, immutability, copies, restore testing. */
    readonly summary: readonly { readonly question: string; readonly answer: string; readonly status: ControlStatus }[];
    readonly controls: readonly ReportControl[];
    readonly retention: RetentionPicture;
    /** Absent when the stack deploys no AWS Backup plan (so no framework either). */
    readonly auditManager?: AuditManagerSetup;
    /** Validation warnings, one formatted line each. */
    readonly warnings: readonly string[];
    readonly evidence?: EvidenceSummary;
}

export class EvidenceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EvidenceError";
    }
}

export interface ReportInput {
    readonly config: StackConfig;
    /** The Pulumi stack the configuration is deployed as: the account-unique names carry it. */
    readonly stack: string;
    /** The stack file as read: tells keys written there from defaults. */
    readonly raw: RawStackConfig;
    readonly findings: readonly Finding[];
    readonly provenance: Provenance;
    readonly evidence?: Evidence;
}
