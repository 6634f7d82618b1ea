export { loadConfig, redactConfig, ConfigError, type Config } from './config.js';
export { envSchema, type ParsedEnv } from './config-schema.js';
export { renderConfigTable, readConfigTable, withConfigTable, CONFIG_TABLE_MARKERS } from './config-table.js';
export { parseMxOverride, type MxTarget } from './mx-override.js';
export { createLogger, writeLogLines, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export {
  AppError,
  ERROR_CODES,
  isAppError,
  toHttpError,
  toSmtpReply,
  type ErrorCode,
  type ErrorBody,
  type AppErrorOptions,
} from './errors.js';
export { newId, randomSecret } from './ids.js';
export { SecretBox, parseMasterKey, safeEqual, sha256Hex } from './secret-box.js';
export type {
  Pool,
  PoolIp,
  Bridge,
  BridgeMode,
  BridgeSecrets,
  BridgeWithSecrets,
  AuthenticatedBridge,
  BridgeAuthState,
  AuditEntry,
  CredentialStatus,
  Transport,
  SendingDomain,
} from './domain.js';
export {
  EventPublisher,
  decodeEventEntry,
  encodeEventEntry,
  eventStreamKey,
  EVENTS_PER_ENTRY,
  readEventBacklog,
  type DecodedEntry,
  type EventBacklog,
  type EventPublisherOptions,
} from './events.js';
export { readEveryShard, type ShardReader } from './event-shards.js';
export {
  controlChannel,
  eventShardOf,
  eventStreamKeys,
  eventStreamShardKey,
  keyFamily,
  keyLayoutOf,
  queuePrefix,
  type KeyLayout,
} from './redis-keys.js';
export {
  configuredRedisTarget,
  describeRedisTarget,
  parseRedisNodes,
  type RedisNode,
  type RedisTarget,
} from './redis-target.js';
export {
  carries,
  DERIVED_EVENT_COLUMNS,
  EVENT_COLUMN_LIST,
  EVENT_COLUMNS,
  EVENT_MEANINGS,
  EVENT_TYPES,
  MAIL_EVENT_SCHEMA,
  type EventColumn,
  type EventColumnType,
  type EventField,
  type EventFieldValue,
  type EventOf,
  type EventType,
  type MailEvent,
  type NewEventOf,
  type NewMailEvent,
} from './event-schema.js';
export { renderEventColumns, renderEventKinds, renderTimelineQuery, withEventDocs } from './event-docs.js';
export { StreamConsumer, type StreamConsumerOptions, type StreamHandler } from './stream-consumer.js';
export { readStreamGroups, trimAcknowledged } from './stream-groups.js';
export {
  parseGroupsInfo,
  parsePendingSummary,
  parseReadGroupReply,
  type PendingSummary,
  type StreamEntry,
  type StreamGroupInfo,
} from './stream-replies.js';
export {
  PoolJobRunner,
  PoolQueues,
  type CancelOutcome,
  type MessagePass,
  type PassOutcome,
  type PoolJob,
  type PoolJobRunnerOptions,
  type PoolQueuesOptions,
} from './pool-queues.js';
export { producerQueue } from './producer-queue.js';
export { ReplicaAcks, type ReplicaAckCounts, type ReplicaAckOptions } from './replica-acks.js';
export { poolQueuePrefix, PoolQueuePrefixes, poolQueueTag, type PoolQueueRef } from './pool-queue-layout.js';
export {
  choosePoolQueueTag,
  chooseQueueTag,
  parseClusterSlots,
  primaryOfSlot,
  queueLoads,
  slotOfTag,
  type SlotRange,
} from './pool-queue-placement.js';
export {
  poolQueueName,
  UNEXPECTED_FAILURE_ATTEMPTS,
  INBOUND_QUEUE,
  type InboundReport,
  type DeliveryJob,
  type ScheduledCredential,
  type ControlMessage,
} from './queues.js';
export { acceptMessage, type AcceptDeps, type Submission } from './accept.js';
export { cancelMessage, type CancelMessageDeps, type CancelledMessage } from './cancel-message.js';
export { parseSendAt, MAX_SCHEDULE_AHEAD_MS } from './send-at.js';
export {
  bearerToken,
  formatPath,
  LONE_SURROGATE,
  MAX_JSON_DEPTH,
  parseJson,
  readBody,
  renderErrors,
  validate,
  type ErrorRenderContext,
} from './http.js';
export { readOrCreateSecret } from './data-dir.js';
export { spawnRedisServer, type SpawnedRedis, type SpawnRedisOptions } from './engines/redis-server.js';
export { freePort } from './engines/free-port.js';
export { lockDataDir, type DataDirLock } from './engines/data-dir-lock.js';
export * from './store/index.js';
export { BridgeAuthCache, type BridgeAuthCacheOptions } from './auth-cache.js';
export {
  ADMIN_PRINCIPAL,
  AuthFailureLimiter,
  type AuthBlock,
  type AuthCounts,
  type AuthLimits,
  type AuthPrincipal,
  type AuthTransport,
} from './auth-limiter.js';
export { createAuthenticator, type Authenticator } from './authenticator.js';
export {
  BridgeLimiter,
  bridgeLimitsSchema,
  normalizeBridgeLimits,
  readBridgeRefusals,
  BRIDGE_LIMIT_NAMES,
  BRIDGE_LIMIT_WINDOW_MS,
  type BridgeLimitName,
  type BridgeLimits,
  type BridgeRefusalCount,
  type BridgeUsage,
  type BridgeWindowUsage,
} from './bridge-limiter.js';
export {
  buildOpenApiDocument,
  withOpenApiRoute,
  ONE_OR_MANY,
  type RouteSpec,
  type ResponseSpec,
  type HttpMethod,
} from './openapi.js';
export { listenToControl, type ControlListenerOptions } from './control-listener.js';
export { TrackingTokens, type TrackingClaims } from './tracking-token.js';
export { UnsubscribeAddresses, UNSUBSCRIBE_LOCAL_PREFIX, type UnsubscribeMailTarget } from './unsubscribe-address.js';
export {
  unsubscribeRecipient,
  UNSUBSCRIBED_REASON,
  type UnsubscribeDeps,
  type UnsubscribeTarget,
  type UnsubscribeVia,
} from './unsubscribe.js';
export { extractTrackHeader, parseTrackCeiling, type TrackCeiling } from './track-header.js';
export { BridgeSettingsCache, type BridgeSettings } from './bridge-settings.js';
export { TtlCache } from './ttl-cache.js';
export {
  probeSourceAddress,
  sourceAddressWarnings,
  IP_NOT_ON_HOST,
  type AdminWarning,
  type SourceAddressProbe,
} from './source-address.js';
export { TickBatch, type TickBatchFlush, type TickBatchOptions, type TickBatchOutcomes } from './tick-batch.js';
export { defineLuaCommands, readLuaCommands, resolveLuaCommands, type LuaCommand } from './lua-commands.js';
export { SuppressionIndex, type SuppressionSource } from './suppression-index.js';
export { IdempotencyKeys, IDEMPOTENCY_TTL_S, type IdempotencyClaim, type IdempotencyStart } from './idempotency.js';
export { takeControlHeaders, CONTROL_HEADERS, type ControlHeader } from './control-headers.js';
export {
  inheritMessageLabels,
  labelsFromHeaders,
  metadataProblem,
  tagProblem,
  LABEL_LIMITS,
  METADATA_KEY_PATTERN,
  TAG_PATTERN,
  type InheritedLabels,
  type LabelLookup,
  type MessageLabels,
} from './message-labels.js';
export { Spool } from './spool.js';
export { VerpAddresses, recipientHash, type VerpTarget } from './verp.js';
export {
  parseShapingPolicy,
  shapingPolicySchema,
  DEFAULT_SHAPING_POLICY,
  destinationLimits,
  isThrottleReply,
  compilePatterns,
  type ShapingPolicy,
  type IpLimits,
  type DestinationLimits,
  type AdaptivePolicy,
} from './shaping-policy.js';
export {
  BRIDGE_MESSAGE_SEARCH_QUERY,
  decodeMessageCursor,
  encodeMessageCursor,
  MESSAGE_PAGE_MAX,
  MESSAGE_ROW_SCHEMA,
  MESSAGE_SEARCH_QUERY,
  MESSAGE_STATES,
  toMessageSearch,
  type MessageCursor,
  type MessagePage,
  type MessageRow,
  type MessageSearch,
  type MessageState,
} from './message-activity.js';
export {
  compileTemplate,
  missingVariables,
  renderTemplate,
  TEMPLATE_ALIAS,
  TEMPLATE_FIELDS,
  TEMPLATE_LIMITS,
  type TemplateContent,
  type TemplateField,
  type TemplateModel,
} from './template-render.js';
export { parseTemplateModel, TemplateCache, type TemplateRef, type TemplateRenderer } from './template-cache.js';
export { headerBlock } from './control-headers.js';
