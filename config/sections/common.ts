import { z } from "zod";

/** A whole number of days, weeks, minutes...: positive integers only. */
export const positiveInt = z.int().positive();

/**
 * A secret value. In a stack file it must be an encrypted Pulumi secret (`secure: v1:...`,
 * set with `pulumi config set --secret --path`); inside a running Pulumi program the engine
 * hands it over decrypted, and the program wraps it with `pulumi.secret()` again.
 */
export const secretString = z.union([z.string().min(1), z.strictObject({ secure: z.string().min(1) })]);
export type SecretString = z.infer<typeof secretString>;

/** Reference to a Secrets Manager secret: an ARN, never the secret itself. */
export const secretArn = z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
    message: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
});

/** Logical names become object-key segments and resource names. */
export const logicalName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, {
    message: "must be 1-40 characters: lower-case letters, digits and '-', starting with a letter",
});

/** `schema.table` or `table` (public schema), plain identifiers only. */
export const tableName = z.string().regex(/^([a-z_][a-z0-9_$]{0,62}\.)?[a-z_][a-z0-9_$]{0,62}$/, {
    message: "must be an unquoted identifier, optionally schema-qualified (schema.table)",
});
