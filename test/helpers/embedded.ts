/** The embedded PostgreSQL, S3 and fault-injection harness, for tests. */
export { startPostgres, findPgBin, freePort, query, createDatabase, dropDatabase, quoteIdent } from "../../cli/embedded/postgres";
export type { EmbeddedPostgres, StartPostgresOptions } from "../../cli/embedded/postgres";
export { startS3, localS3ClientConfig } from "../../cli/embedded/s3";
export type { EmbeddedS3, EmbeddedS3ClientOptions } from "../../cli/embedded/s3";
export { startFaultyProxy, uploadPartRequests, putRequests } from "../../cli/embedded/faultyProxy";
export type { FaultyProxy, Fault, RecordedRequest, RequestMatcher } from "../../cli/embedded/faultyProxy";
export { loadSampleData } from "../../cli/embedded/sampleData";
export type { SampleDataOptions, SampleDataSummary, SampleTable } from "../../cli/embedded/sampleData";
export { startAzurite, AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY } from "../../cli/embedded/azurite";
export type { EmbeddedAzurite } from "../../cli/embedded/azurite";
