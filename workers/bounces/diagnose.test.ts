import { describe, expect, it } from 'vitest';
import { classifySmtpReply, findReplyCode, findStatus } from './diagnose.js';

describe('classifySmtpReply', () => {
  it.each([
    [550, '5.1.1', 'User unknown', 'userunknown', true],
    [
      550,
      null,
      '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
      'userunknown',
      true,
    ],
    [550, '5.4.4', 'Invalid domain', 'hostunknown', true],
    [521, '5.3.2', 'System not accepting network messages', 'notaccept', true],
    [452, '4.3.2', 'Connection rate limit exceeded', 'toomanyconn', false],
    [552, '5.2.2', 'Quota exceeded', 'mailboxfull', false],
    [554, '5.7.1', 'Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked', false],
    [
      550,
      '5.7.26',
      'Unauthenticated email from example.com is not accepted due to domain DMARC policy',
      'authfailure',
      false,
    ],
    [
      421,
      '4.7.0',
      '[TSS04] Messages temporarily deferred due to unexpected volume or user complaints',
      'badreputation',
      false,
    ],
    [450, '4.1.1', 'User unknown (try again later)', 'userunknown', false],
    [554, '5.6.0', 'Message scored as spam', 'spamdetected', false],
  ])('%i %s %s → %s (hard %s)', (code, enhanced, text, reason, hard) => {
    expect(classifySmtpReply(code, enhanced, text)).toMatchObject({ reason, hard });
  });

  it('gives a 550 at RCPT the same reason as the DSN of the same cause', () => {
    expect(classifySmtpReply(550, null, '5.1.1 <a@example.net>: Recipient address rejected: User unknown')).toEqual({
      reason: 'userunknown',
      hard: true,
      status: '5.1.1',
    });
  });

  it('2xx is delivered', () => {
    expect(classifySmtpReply(250, '2.0.0', 'OK')).toEqual({ reason: 'delivered', hard: false, status: '2.0.0' });
  });
});

describe('findStatus / findReplyCode', () => {
  it('prefers the code after a reply code and ignores IPs and trace ids', () => {
    expect(findStatus("5.1.0 - Unknown address error 550-'5.2.2 <a@example.jp>... Mailbox Full")).toBe('5.2.2');
    expect(findStatus('from 192.0.2.49 - 4.16.55.1; see')).toBeNull();
    expect(findStatus('Unable to contact LDAP server. (#4.4.3)')).toBe('4.4.3');
    expect(findReplyCode('host x[192.0.2.1]: 500 Line limit exceeded')).toBe(500);
    expect(findReplyCode('Thu, 29 Apr 2012 23:45:10 +0900')).toBeUndefined();
  });
});
