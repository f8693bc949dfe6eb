/** RDS backup and maintenance windows, for the configuration's rules: parsed where the components use them. */
export * from "../components/aws/documents/windows";
