/** AWS regions a stack may name (commercial partitions; GovCloud and China need their own partitions). */
export const AWS_REGIONS: readonly string[] = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
    "il-central-1",
    "me-south-1", "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

/** Azure regions (programmatic names) that offer PostgreSQL Flexible Server. */
export const AZURE_LOCATIONS: readonly string[] = [
    "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3",
    "canadacentral", "canadaeast", "brazilsouth",
    "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral", "switzerlandnorth",
    "norwayeast", "swedencentral", "polandcentral", "italynorth", "spaincentral",
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "australiaeast",
    "australiasoutheast", "australiacentral", "centralindia", "southindia", "westindia",
    "uaenorth", "qatarcentral", "israelcentral", "southafricanorth",
];
