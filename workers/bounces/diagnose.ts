import { matchIntlTextRules } from './intl-texts.js';
import {
  decisiveStatusReason,
  isBadAddressStatus,
  isHardReason,
  replyCodeReason,
  statusReason,
  type Reason,
} from './reasons.js';
import type { SmtpStage } from './smtp-stage.js';
import type { SmtpReplyClassification } from './types.js';
import { matchTextRules } from './vendor-texts.js';

// An enhanced status code (RFC 3463): not part of a longer dotted number (IPs, versions, Yahoo's
// "4.16.55.1" trace ids).
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)/g;
// A basic reply code directly followed by an enhanced one: "550 5.1.1", "550-5.7.26", "550-'5.2.2".
const REPLY_AND_ENHANCED = /(?<![\d.])([245]\d\d)[ -]['"]?([245]\.\d{1,3}\.\d{1,3})(?![\d]|\.\d)/g;
const ADDRESS_IN_TEXT = /[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+/g;
const REPLY = /(?:^|[\s;:#('"[\]<>-])([45]\d\d)(?=[\s-]|$)/m;

/**
 * The enhanced status code a diagnostic text quotes: the one after a reply code if any, else the
 * first. Failure codes (4.x.x, 5.x.x) come before success codes, which a session transcript in a
 * report also quotes ("250 2.1.5 Ok" before "451 4.3.0 Error"). x.4.7 only says the retry period
 * ran out: when the text also quotes the last error met meanwhile ("554 4.4.7 Message expired …
 * <421 4.4.2 Connection timed out>"), that error is the status.
 */
export function findStatus(text: string): string | null {
  const paired = [...text.matchAll(REPLY_AND_ENHANCED)].map((m) => m[2] ?? '');
  const bare = [...text.matchAll(ENHANCED)].map((m) => `${m[1]}.${m[2]}.${m[3]}`);
  const isFailure = (c: string) => c.startsWith('4') || c.startsWith('5');
  const chosen = paired.find(isFailure) ?? bare.find(isFailure) ?? paired[0] ?? bare[0] ?? null;
  if (chosen === null || !chosen.endsWith('.4.7')) return chosen;
  const underlying = bare.filter((c) => isFailure(c) && !c.endsWith('.4.7'));
  return underlying[underlying.length - 1] ?? chosen;
}

/** The basic SMTP reply code (4xx/5xx) a diagnostic text quotes, if any. */
export function findReplyCode(text: string): number | undefined {
  const paired = [...text.matchAll(REPLY_AND_ENHANCED)].find((m) => /^[45]/.test(m[1] ?? ''));
  const code = paired?.[1] ?? REPLY.exec(text)?.[1];
  if (code === undefined) return undefined;
  const n = Number(code);
  return n >= 400 ? n : undefined;
}

/** Input of {@link diagnose}: the texts to read, most specific first, and the codes found. */
export interface DiagnoseInput {
  texts: readonly string[];
  status: string | null;
  replyCode?: number;
  /** The SMTP command the failure answered, where the report says (see smtp-stage.ts). */
  stage?: SmtpStage;
}

/**
 * Picks the reason for one failed recipient: a decisive status code, else the first text rule
 * matching any of the texts (in order), else what the status code or reply code suggests.
 */
export function diagnose(input: DiagnoseInput): Reason {
  const reason = reasonOf(input);
  // An unknown-user answer to the message data comes from a filter that had accepted the
  // recipient at RCPT TO: it rejects this message, not the address; unless the status code itself
  // says the mailbox is bad.
  const filtered = reason === 'userunknown' && input.stage === 'data' && !isBadAddressStatus(input.status);
  if (filtered) return 'filtered';
  // A permanent refusal of RCPT TO that gives no other reason refuses the mailbox itself.
  const permanent = input.status?.startsWith('5') === true || (input.replyCode ?? 0) >= 500;
  if (reason === 'undefined' && input.stage === 'rcpt' && permanent) return 'userunknown';
  return reason;
}

function reasonOf(input: DiagnoseInput): Reason {
  const decisive = decisiveStatusReason(input.status);
  if (decisive !== undefined) return decisive;
  for (const raw of input.texts) {
    if (raw.trim() === '') continue;
    // Addresses are not diagnostics: "filtered@example.com… User Unknown" is an unknown user.
    const text = raw.replace(ADDRESS_IN_TEXT, '<address>');
    // English rules first: they carry the vendor order; non-English wordings only when none matched.
    const byText = matchTextRules(text) ?? matchIntlTextRules(text);
    if (byText !== undefined) return byText;
  }
  return statusReason(input.status) ?? replyCodeReason(input.replyCode) ?? 'undefined';
}

/**
 * Classifies a synchronous SMTP reply (RCPT, DATA…) with the same vocabulary as bounce reports,
 * so that a 550 at RCPT and a DSN for the same cause get the same reason; `stage` is the command
 * it answered, where known.
 */
export function classifySmtpReply(
  replyCode: number,
  enhanced: string | null,
  text: string,
  stage?: SmtpStage,
): SmtpReplyClassification {
  const status = enhanced ?? findStatus(text);
  if (replyCode >= 200 && replyCode < 300) return { reason: 'delivered', hard: false, status };
  const reason = diagnose({ texts: [text], status, replyCode, ...(stage ? { stage } : {}) });
  return { reason, hard: isHardReason(reason, status, replyCode, { final: replyCode >= 500 }), status };
}
