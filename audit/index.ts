export { buildReport } from "./controls";
export { checkEvidenceIdentity, controlsTouchedBy, parseEvidence, type EvidenceFile } from "./evidence";
export { renderHtml } from "./html";
export { cloudsOf, mappingOf } from "./mappings";
export {
    EvidenceError,
    type AuditManagerControlName,
    type AuditManagerSetup,
    type AuditReport,
    type Cloud,
    type ConfigKey,
    type ControlId,
    type ControlMapping,
    type ControlStatus,
    type Evidence,
    type EvidenceCheck,
    type EvidenceSummary,
    type Provenance,
    type ReportControl,
    type ReportInput,
    type SecurityHubControl,
} from "./model";
export { renderJson, renderMarkdown, type MarkdownLinks } from "./render";
export { cadence, scheduleInWords } from "./scheduleWords";
export { lockName, retentionPicture, retentionSvg, type RetentionPicture, type TierLock, type TierPicture } from "./timeline";
