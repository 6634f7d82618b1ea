export {
  startWebhookFanout,
  createWebhookProcessor,
  queueEnqueuer,
  webhookJobId,
  WEBHOOK_QUEUE,
  WEBHOOK_GROUP,
  WEBHOOK_JOB_OPTIONS,
  type WebhookJob,
  type WebhookFanout,
  type WebhookFanoutOptions,
  type WebhookTarget,
  type WebhookAttemptRecord,
  type WebhookProcessorDeps,
  type WebhookOutcome,
} from './dispatcher.js';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, KEY_ID_HEADER, EVENT_ID_HEADER, DEFAULT_TOLERANCE_S } from './signature.js';
export {
  checkWebhookUrl,
  isInternalAddress,
  systemResolver,
  type HostResolver,
  type UrlGuardOptions,
  type UrlCheck,
  type UrlRefusal,
} from './url-guard.js';
