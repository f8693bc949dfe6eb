/** What the Azure rules share: the parsed Azure section's types and the environment test. */
import type { ParsedConfig } from "../../schema";

export type AzureConfig = NonNullable<ParsedConfig["azure"]>;
export type ServerConfig = AzureConfig["servers"][number];

export const isProd = (config: ParsedConfig): boolean => config.environment === "prod";
