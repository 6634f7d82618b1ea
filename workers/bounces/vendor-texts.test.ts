import { describe, expect, it } from 'vitest';
import { classifySmtpReply } from './diagnose.js';

/**
 * Diagnostic texts in the wording of many MTAs and providers (qmail, Exim, Postfix, Sendmail,
 * Exchange / Office 365, Gmail, Yahoo, Outlook.com, Mimecast, Chinese and Russian providers,
 * German and French carriers), written by the team from how these servers phrase their answers.
 * The expected reason is a pattern where two readings are both right.
 */
const REPLIES: [number, string, string][] = [
  [550, 'Sorry, no mailbox here by that name. (#5.1.1)', 'userunknown'],
  [550, "Sorry, I couldn't find any host named example.invalid. (#5.1.2)", 'hostunknown'],
  [550, 'all relevant MX records point to non-existent hosts', 'hostunknown'],
  [550, 'Unrouteable address', 'hostunknown|userunknown'],
  [551, 'User not local; please try <new@example.org>', 'hasmoved'],
  [550, '5.1.1 <a@example.net>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown'],
  [
    550,
    "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos",
    'userunknown',
  ],
  [550, '5.5.0 Requested action not taken: mailbox unavailable (S2017062302)', 'userunknown'],
  [550, '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'userunknown'],
  [554, "delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]", 'userunknown'],
  [550, 'Mailbox not found or access denied', 'userunknown'],
  [550, 'User not found: a@163.com', 'userunknown'],
  [550, 'Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550', 'userunknown'],
  [550, '5.1.1 <a@example.net>... User unknown', 'userunknown'],
  [550, 'No such user!', 'userunknown'],
  [
    550,
    '5.1.1 Recipient address rejected: undeliverable address: host mx.example.net said: 550 no such user',
    'userunknown',
  ],
  [550, 'Address rejected', 'userunknown|rejected|undefined'],
  [550, 'The recipient address <a@example.net> is not a valid RFC-5321 address', 'syntaxerror|userunknown'],
  [550, 'Recipient does not exist here', 'userunknown'],
  [550, 'email address is not valid', 'userunknown'],
  [550, 'This mailbox is disabled (554.30)', 'suspend'],
  [550, '5.2.1 The email account that you tried to reach is disabled', 'suspend'],
  [552, '5.2.2 The email account that you tried to reach is over quota', 'mailboxfull'],
  [452, '4.2.2 Mailbox full', 'mailboxfull'],
  [552, 'Requested mail action aborted: exceeded storage allocation', 'mailboxfull'],
  [550, '5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Spamhaus', 'blocked'],
  [554, '5.7.1 Message rejected because of unacceptable content', 'spamdetected|contenterror|rejected'],
  [
    550,
    "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)",
    'blocked',
  ],
  [
    421,
    '4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address',
    'spamdetected|badreputation|blocked',
  ],
  [
    550,
    '5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM',
    'authfailure',
  ],
  [550, '5.7.1 Relaying denied', 'securityerror'],
  [553, '5.3.0 <a@example.net>... Unknown user; rejecting', 'userunknown'],
  [550, 'Host unknown (Name server: mx.example.invalid: host not found)', 'hostunknown'],
  [550, '5.4.4 Unable to route: no mail hosts for domain', 'hostunknown|notaccept'],
  [556, '5.1.10 Recipient address has null MX', 'notaccept'],
  [550, 'Empfänger unbekannt', 'userunknown'],
  [550, '5.1.1 Benutzer unbekannt', 'userunknown'],
  [550, 'utilisateur inconnu', 'userunknown'],
  [550, "Adresse d'au moins un destinataire invalide", 'userunknown'],
  [552, 'Postfach voll', 'mailboxfull'],
  [550, '5.1.1 User account is unavailable', 'userunknown|suspend'],
  [550, 'Mailbox does not exist', 'userunknown'],
  [550, 'unknown or illegal alias: a@example.net', 'userunknown'],
  [550, 'Recipient rejected: account expired', 'suspend'],
  [554, 'Transaction failed: Message rejected as spam by Content Filtering', 'spamdetected'],
  [
    550,
    'Message was not accepted -- invalid mailbox. Local mailbox a@example.net is unavailable: user is terminated',
    'userunknown|suspend',
  ],
  [550, '5.1.1 <a@example.net>: Recipient address rejected: example.net', 'userunknown|rejected|undefined'],
  [550, '5.2.1 Mailbox unavailable, account disabled', 'suspend'],
  [550, 'This account has been suspended', 'suspend'],
  [550, 'Domain does not exist', 'hostunknown'],
  [550, 'No such domain at this location', 'hostunknown'],
  [554, '5.4.14 Hop count exceeded - possible mail loop ATTR34', 'systemerror'],
  [550, 'Message too large', 'mesgtoobig'],
  [554, '5.7.9 Message not accepted for policy reasons', 'policyviolation'],
  [550, 'Denied by policy', 'policyviolation'],
  [554, 'Message refused due to local policy', 'policyviolation'],
];

describe('diagnostic texts of many mail servers', () => {
  it.each(REPLIES)('%i %s → %s', (code, text, want) => {
    expect(classifySmtpReply(code, null, text).reason).toMatch(new RegExp(`^(?:${want})$`));
  });
});
