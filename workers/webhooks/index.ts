export { startWebhookFanout, WEBHOOK_GROUP, type WebhookFanout, type WebhookFanoutOptions } from './fanout.js';
export {
  createWebhookProcessor,
  queueEnqueuer,
  webhookJobId,
  WEBHOOK_QUEUE,
  WEBHOOK_JOB_OPTIONS,
  type WebhookJob,
  type WebhookTarget,
  type WebhookAttemptRecord,
  type WebhookProcessorDeps,
  type WebhookOutcome,
} from './dispatcher.js';
export {
  signWebhook,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  KEY_ID_HEADER,
  EVENT_ID_HEADER,
  DEFAULT_TOLERANCE_S,
} from './signature.js';
export {
  checkWebhookUrl,
  isInternalAddress,
  systemResolver,
  type HostResolver,
  type UrlGuardOptions,
  type UrlCheck,
  type UrlRefusal,
} from './url-guard.js';
