import * as stackRules from "../../../../../config/rules/azure/stack";
import { validConfig } from "../../../../helpers/config";
import { staging, prod, AZURE_ONLY, dumpOf, describeAzureRules, type AzureRuleCase } from "../../../../helpers/azureRules";

const CASES: readonly AzureRuleCase[] = [
    {
        rule: "azureAlertsHaveReceivers (prod)",
        bad: prod({ "alerts.emails": [] }), good: prod({ "alerts.emails": [], "alerts.webhookUrls": [{ secure: "v1:AAAA" }] }),
        path: "alerts.emails", severity: "error", message: /would notify nobody/,
    },
    {
        rule: "azureAlertsHaveReceivers (staging)",
        bad: staging({ "alerts.emails": [] }), good: staging({}),
        path: "alerts.emails", severity: "warning", message: /would notify nobody/,
    },
    {
        rule: "noAwsFunctionsForAzureServers",
        bad: staging({ "aws.backup.enabled": false, "aws.databases[1]": dumpOf("blog-staging.postgres.database.azure.com") }),
        good: staging({ "aws.backup.enabled": false, "aws.databases[1]": dumpOf("blog.db.example.com") }),
        path: "aws.databases[1].host", severity: "error",
        message: /no Azure credential reaches .* run its dump, export and verify with the Azure runner \(azure\.runner/,
    },
    {
        rule: "azureOnlyStackComplete (no Azure either)",
        bad: validConfig({ regions: undefined, aws: undefined }), good: staging(AZURE_ONLY),
        path: "regions", severity: "error", message: /is required .* unless the stack is Azure-only, which needs azure/,
    },
    {
        rule: "azureOnlyStackComplete (AWS databases)",
        bad: staging({ regions: undefined }), good: staging(AZURE_ONLY),
        path: "regions", severity: "error", message: /is required: aws\.databases, aws\.network declare AWS resources .* without regions the stack is Azure-only/,
    },
];

describeAzureRules("Azure rules: the stack", stackRules, CASES);
