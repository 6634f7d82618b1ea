/** What a received message is, as far as bounce handling cares. */
export type ClassificationKind = 'bounce' | 'complaint' | 'none';

/** The classifier's answer for one inbound message. */
export interface Classification {
  kind: ClassificationKind;
  /** The recipient the report is about (lower-cased); `null` when the report does not reveal a single one. */
  recipient: string | null;
  /** Every recipient the report names, when it names more than one. */
  recipients?: string[];
  /** The address itself is bad (userunknown, hostunknown, hasmoved; notaccept with a 5xx): suppress it. */
  hard: boolean;
  /** Enhanced status code (RFC 3463) present in the message, `null` where it carries none. */
  status: string | null;
  /** Reason from the vocabulary in `reasons.ts` (`feedback` for complaints, `none` otherwise). */
  reason: string;
  /** Basic SMTP reply code quoted in the report. */
  replyCode?: number;
  /** ARF Feedback-Type (RFC 5965 §3.1), lower-cased, for complaints. */
  feedbackType?: string;
  /** A delay warning (`Action: delayed`): the message is still being retried. */
  delayed?: boolean;
}

/** The answer for a synchronous SMTP reply met during delivery. */
export interface SmtpReplyClassification {
  reason: string;
  hard: boolean;
  status: string | null;
}
