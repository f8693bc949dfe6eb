/** Schedule expressions, for the configuration's rules: parsed where the components use them. */
export * from "../components/aws/documents/schedule";
