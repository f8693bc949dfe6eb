/**
 * The pg-backup-stack policy pack: guard-rails for any stack that uses the components or declares
 * such resources by hand. Run it with `pulumi preview --policy-pack policy`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("pg-backup-stack", {
    description: "Encryption, retention, immutability and exposure guard-rails for PostgreSQL backup and disaster-recovery stacks on AWS and Azure.",
    policies,
});
