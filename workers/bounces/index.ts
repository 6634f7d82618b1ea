export { classifyMessage } from './classify.js';
export { classifySmtpReply } from './diagnose.js';
export { REASONS, isHardReason, type Reason } from './reasons.js';
export type { Classification, ClassificationKind, SmtpReplyClassification } from './types.js';
export { createReportProcessor, type ReportProcessorDeps, type KnownMessage } from './report-processor.js';
export { createUnsubscribeMailProcessor, type UnsubscribeMailDeps } from './unsubscribe-mail.js';
