import { decisiveStatusReason, isHardReason, replyCodeReason, statusReason, type Reason } from './reasons.js';
import type { SmtpReplyClassification } from './types.js';
import { matchTextRules } from './vendor-texts.js';

// An enhanced status code (RFC 3463): not part of a longer dotted number (IPs, versions, Yahoo's
// "4.16.55.1" trace ids).
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)/g;
// A basic reply code directly followed by an enhanced one: "550 5.1.1", "550-5.7.26", "550-'5.2.2".
const REPLY_AND_ENHANCED = /(?<![\d.])([245]\d\d)[ -]['"]?([245]\.\d{1,3}\.\d{1,3})(?![\d]|\.\d)/;
const REPLY = /(?:^|[\s;:#('"[\]<>-])([45]\d\d)(?=[\s-]|$)/m;

/** The enhanced status code a diagnostic text quotes: the one after a reply code if any, else the first. */
export function findStatus(text: string): string | null {
  const paired = REPLY_AND_ENHANCED.exec(text);
  if (paired?.[2] !== undefined) return paired[2];
  for (const m of text.matchAll(ENHANCED)) {
    return `${m[1]}.${m[2]}.${m[3]}`;
  }
  return null;
}

/** The basic SMTP reply code (4xx/5xx) a diagnostic text quotes, if any. */
export function findReplyCode(text: string): number | undefined {
  const paired = REPLY_AND_ENHANCED.exec(text);
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
}

/**
 * Picks the reason for one failed recipient: a decisive status code, else the first text rule
 * matching any of the texts (in order), else what the status code or reply code suggests.
 */
export function diagnose(input: DiagnoseInput): Reason {
  const decisive = decisiveStatusReason(input.status);
  if (decisive !== undefined) return decisive;
  for (const text of input.texts) {
    if (text.trim() === '') continue;
    const byText = matchTextRules(text);
    if (byText !== undefined) return byText;
  }
  return statusReason(input.status) ?? replyCodeReason(input.replyCode) ?? 'undefined';
}

/**
 * Classifies a synchronous SMTP reply (RCPT, DATA…) with the same vocabulary as bounce reports,
 * so that a 550 at RCPT and a DSN for the same cause get the same reason.
 */
export function classifySmtpReply(replyCode: number, enhanced: string | null, text: string): SmtpReplyClassification {
  const status = enhanced ?? findStatus(text);
  if (replyCode >= 200 && replyCode < 300) return { reason: 'delivered', hard: false, status };
  const reason = diagnose({ texts: [text], status, replyCode });
  return { reason, hard: isHardReason(reason, status, replyCode), status };
}
