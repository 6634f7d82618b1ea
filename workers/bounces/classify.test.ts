import { describe, expect, it } from 'vitest';
import { classifyMessage } from './classify.js';

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

function dsn(fields: string, notification = 'Delivery failed.', extraHeaders = ''): string {
  return `From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
${extraHeaders}Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

${notification}

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

${fields}

--B1
Content-Type: message/rfc822

From: sender@example.com
To: rcpt@example.net
Subject: hello

hi
--B1--
`;
}

describe('classifyMessage: RFC 3464 DSNs', () => {
  it('user unknown is a hard bounce, LF and CRLF alike', async () => {
    const raw = dsn(
      'Final-Recipient: rfc822; Rcpt@Example.NET\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown',
    );
    for (const input of [raw, crlf(raw), Buffer.from(crlf(raw))]) {
      expect(await classifyMessage(input)).toMatchObject({
        kind: 'bounce',
        recipient: 'rcpt@example.net',
        hard: true,
        status: '5.1.1',
        reason: 'userunknown',
        replyCode: 550,
      });
    }
  });

  it('mailbox full and policy blocks are soft even with a 5xx', async () => {
    const full = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full',
      ),
    );
    expect(full).toMatchObject({ hard: false, reason: 'mailboxfull', status: '5.2.2' });
    const rbl = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
      ),
    );
    expect(rbl).toMatchObject({ hard: false, reason: 'blocked', status: '5.7.1' });
  });

  it('takes the code quoted in the remote reply over a generic Status field', async () => {
    const got = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Postfix; host mx.example.net said: 554\n    5.6.0 Message scored as spam',
      ),
    );
    expect(got).toMatchObject({ status: '5.6.0', reason: 'spamdetected', replyCode: 554, hard: false });
  });

  it('a delay warning is never hard', async () => {
    const got = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: delayed\nStatus: 4.4.1\nDiagnostic-Code: smtp; 450 4.1.1 user unknown',
      ),
    );
    expect(got).toMatchObject({ kind: 'bounce', delayed: true, hard: false, status: '4.1.1' });
  });

  it('a success DSN is not a bounce', async () => {
    const got = await classifyMessage(dsn('Final-Recipient: rfc822; a@example.net\nAction: delivered\nStatus: 2.0.0'));
    expect(got.kind).toBe('none');
  });

  it('lists every failed recipient', async () => {
    const got = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.1.1',
      ),
    );
    expect(got).toMatchObject({
      recipient: 'a@example.net',
      recipients: ['a@example.net', 'b@example.net'],
      hard: true,
    });
  });

  it('reads a base64-encoded delivery-status part', async () => {
    const fields = Buffer.from(
      'Final-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.1.2\r\n',
    ).toString('base64');
    const raw = dsn('', 'x').replace(
      'Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n',
      `Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n${fields}`,
    );
    expect(await classifyMessage(raw)).toMatchObject({ recipient: 'a@example.net', reason: 'hostunknown', hard: true });
  });

  it('reads a DSN whose multipart boundary never occurs', async () => {
    const raw = dsn('Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1').replace(
      'boundary="B1"',
      'boundary="B2"',
    );
    expect(await classifyMessage(raw)).toMatchObject({ kind: 'bounce', recipient: 'a@example.net', hard: true });
  });

  it('a challenge/response DSN is not a bounce', async () => {
    const got = await classifyMessage(
      dsn(
        'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 4.7.0\nDiagnostic-Code: X-Boxbe-Notice; Sender not pre-approved',
      ),
    );
    expect(got.kind).toBe('none');
  });
});

describe('classifyMessage: non-standard bounce texts', () => {
  it('qmail', async () => {
    const raw = `From: MAILER-DAEMON@mx.example.org
To: sender@example.com
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gone@example.net>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <gone@example.net>: User unknown
Giving up on 192.0.2.1.

--- Below this line is a copy of the message.

To: gone@example.net
Subject: hi
`;
    expect(await classifyMessage(crlf(raw))).toMatchObject({
      kind: 'bounce',
      recipient: 'gone@example.net',
      hard: true,
      status: '5.1.1',
      replyCode: 550,
    });
  });

  it('Exim with X-Failed-Recipients, error after MAIL FROM is about us, not the recipient', async () => {
    const raw = `From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: sender@example.com
X-Failed-Recipients: rcpt@example.net
Subject: Mail delivery failed: returning message to sender

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  rcpt@example.net
    SMTP error from remote mail server after MAIL FROM:<sender@example.com>:
    550 5.1.7 No such domain example.com

------ This is a copy of the message, including all the headers. ------
`;
    expect(await classifyMessage(raw)).toMatchObject({
      recipient: 'rcpt@example.net',
      hard: false,
      reason: 'rejected',
      status: '5.1.7',
    });
  });

  it('Gmail delay notice (quoted-printable) is a delayed, soft bounce without a status', async () => {
    const raw = `From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: sender@example.com
Subject: Delivery Status Notification (Delay)
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

This is an automatically generated Delivery Status Notification

THIS IS A WARNING MESSAGE ONLY.

Delivery to the following recipient has been delayed:

     slow@example.net

Message will be retried for 2 more day(s)=20
`;
    expect(await classifyMessage(raw)).toMatchObject({
      kind: 'bounce',
      recipient: 'slow@example.net',
      delayed: true,
      hard: false,
      status: null,
    });
  });
});

describe('classifyMessage: not bounces', () => {
  it('an out-of-office reply', async () => {
    const raw =
      'From: Someone <someone@example.net>\nTo: sender@example.com\nSubject: Automatic reply: hello\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n';
    expect(await classifyMessage(raw)).toMatchObject({ kind: 'none', hard: false });
  });

  it('ordinary mail', async () => {
    expect((await classifyMessage('From: a@example.net\nTo: b@example.com\nSubject: lunch?\n\nNoon?\n')).kind).toBe(
      'none',
    );
  });
});
