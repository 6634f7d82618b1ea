/**
 * An ARF abuse report (RFC 5965) about one message that Bridgemail sent to `recipient`, as a
 * mailbox provider's feedback loop mails it to the inbound MX: the platform finds the message by
 * the `Message-ID` in the returned headers (`<messageId@bridgemail.test>`).
 */
export function arfComplaint(recipient: string, messageId: string): string {
  return [
    'From: feedback@isp.example.test',
    'To: fbl@bridgemail.test',
    'Subject: FW: complaint',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"',
    '',
    '--ARF',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '',
    '--ARF',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${recipient}`,
    '',
    '--ARF',
    'Content-Type: text/rfc822-headers',
    '',
    'From: app@sender.test',
    `To: ${recipient}`,
    `Message-ID: <${messageId}@bridgemail.test>`,
    'Subject: an order',
    '',
    '--ARF--',
    '',
  ].join('\r\n');
}
