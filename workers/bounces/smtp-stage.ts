/**
 * The SMTP command a remote server's failure answered, as bounce reports state it. It matters
 * because the same words mean different things at different stages: "550 User unknown" given to
 * RCPT TO says the mailbox does not exist, while the same reply after DATA comes from a content
 * filter that had already accepted the recipient (Japanese carriers and many filtering gateways
 * answer that way), and says nothing about the address.
 */

/** The stage of an SMTP transaction a reply belongs to. */
export type SmtpStage = 'connect' | 'helo' | 'mail' | 'rcpt' | 'data';

const COMMANDS: readonly [RegExp, SmtpStage][] = [
  [/^(?:end of data|end of message|message data|message body|message content|data|bdat)\b/i, 'data'],
  [/^rcpt\b/i, 'rcpt'],
  [/^mail\b/i, 'mail'],
  [/^(?:ehlo|helo|lhlo|starttls)\b/i, 'helo'],
  [/^(?:initial connection|connection|connect|greeting|banner)\b/i, 'connect'],
];

function stageOf(command: string): SmtpStage | undefined {
  const trimmed = command.trim().replace(/^["'<([]+/, '');
  return COMMANDS.find(([re]) => re.test(trimmed))?.[1];
}

/**
 * Ways reports name the command: Postfix "(in reply to end of DATA command)", Exim "SMTP error
 * from remote mail server after end of data:", other gateways "(Error following RCPT command)",
 * "in response to DATA", "while sending RCPT", and labelled fields ("SMTP command: DATA").
 */
const NAMED_COMMAND = [
  /\bin (?:reply|response) to (?:the )?(?:end of )?([a-z][a-z ]{1,20}?)\s+command/i,
  /\bin (?:reply|response) to (?:the )?(end of data|data|rcpt(?: to)?|mail(?: from)?|ehlo|helo)\b/i,
  /\b(?:error|failure|rejected) (?:following|after|at|on) (?:the )?(?:end of )?([a-z]{3,8})(?: to| from)? command/i,
  /\b(?:after|while sending|during) (?:the )?(end of data|end of message|message data|data|bdat|rcpt to|mail from|initial connection|ehlo|helo)\b/i,
  /\bsmtp command\W{0,12}(data|rcpt|mail|ehlo|helo)\b/i,
];

/**
 * The stage a failure answered, from a report's text about one recipient, or `undefined` when the
 * text does not say. A session transcript (Sendmail, Courier: ">>> DATA" then "<<< 550 …") names
 * the last command sent before the first error reply.
 */
export function failedStage(text: string): SmtpStage | undefined {
  const transcript = transcriptStage(text);
  if (transcript) return transcript;
  for (const re of NAMED_COMMAND) {
    const m = re.exec(text);
    const stage = m?.[1] === undefined ? undefined : stageOf(m[1].toLowerCase() === 'end of' ? 'data' : m[1]);
    if (stage) return stage;
  }
  return undefined;
}

function transcriptStage(text: string): SmtpStage | undefined {
  let last: SmtpStage | undefined;
  for (const line of text.split(/\r?\n|(?=>>>)|(?=<<<)/)) {
    const sent = /^\s*>>>\s*(.+)/.exec(line);
    if (sent?.[1] !== undefined) {
      last = stageOf(sent[1]) ?? last;
      continue;
    }
    if (/^\s*<<<\s*[45]\d\d\b/.test(line) && last) return last;
  }
  return undefined;
}
