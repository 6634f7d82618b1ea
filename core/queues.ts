import type { TrackCeiling } from './track-header.js';

/** The Bridge credential a message was submitted with: its SMTP password or its API key. */
export type ScheduledCredential = 'smtp' | 'api';

/** An accepted message and the recipients still to reach, as the Pool queues carry it (see pool-queues.ts). */
export interface DeliveryJob {
  messageId: string;
  bridgeId: string;
  poolId: string;
  /** Envelope sender; empty for the null reverse-path. */
  from: string;
  /** Recipients not yet delivered or bounced. */
  recipients: string[];
  /** The raw RFC 5322 message, base64, for bodies small enough to live in Redis. */
  raw?: string;
  /** Name of the spool file holding the body, for large messages. */
  spool?: string;
  /** When the message was accepted (ms since the epoch); retries stop at the configured max age. */
  acceptedAt: number;
  /**
   * When a scheduled message is due (ms since the epoch): it waits in a delayed job of its own until
   * then, can be cancelled before, and its retries expire counting from it rather than from acceptance.
   */
  sendAt?: number;
  /** The credential a scheduled message came with: revoked by its due time, the message is not sent. */
  credential?: ScheduledCredential;
  /** Delivery attempts made so far. */
  attempt: number;
  /** Recipients whose `sent` event was published (by an earlier pass). */
  sentTo?: string[];
  /** The sender's `X-Bridgemail-Track` ceiling (tracking can only be turned off per message). */
  track?: TrackCeiling;
  /**
   * The Redis key of the message's idempotency claim, when it came with a key: the worker marks
   * it taken when it first takes the message up, so a retry can tell it was queued even once its
   * job is gone.
   */
  idem?: string;
  /** The message's tag, when it has one; every event of the message carries it. */
  tag?: string;
  /** The message's metadata, when it has any; every event of the message carries it. */
  metadata?: Record<string, string>;
  /**
   * Accepted through a sandbox Bridge: settled without any MX connection, however the Bridge's mode
   * changes before its turn (a Bridge switched to sandbox since also holds back what it queued before).
   */
  sandbox?: true;
}

/** Queue of reports (DSNs, ARF complaints) received by the inbound MX, waiting to be classified. */
export const INBOUND_QUEUE = 'inbound-reports';

/** A report the inbound MX accepted. */
export interface InboundReport {
  id: string;
  receivedAt: number;
  /** Envelope sender (often empty for DSNs). */
  from: string;
  /** Envelope recipients: VERP return paths or the feedback-loop address. */
  to: string[];
  /** The raw message, base64. */
  raw: string;
}

/** Queue name of a Pool's delivery queue. */
export function poolQueueName(poolId: string): string {
  return `pool-${poolId}`;
}

/** A control-plane change other processes must learn of. */
export type ControlMessage =
  | { type: 'pool-changed'; poolId: string }
  | { type: 'bridge-changed'; bridgeId: string }
  | { type: 'domain-changed'; domain: string }
  | { type: 'shaping-changed' }
  | { type: 'suppression-changed'; bridgeId: string | null }
  | { type: 'template-changed'; templateId: string };

/** Attempts BullMQ makes when a worker fails unexpectedly (crash, bug) rather than with a remote reply. */
export const UNEXPECTED_FAILURE_ATTEMPTS = 8;
