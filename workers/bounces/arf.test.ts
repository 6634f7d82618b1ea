import { describe, expect, it } from 'vitest';
import { classifyMessage } from './classify.js';

const arf = (
  fields: string,
  embedded = 'To: victim@example.net\nFrom: sender@example.com\nSubject: offer\n\nbuy\n',
): string => `From: fbl@isp.example
To: fbl@example.com
Subject: FW: offer
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="A"

--A
Content-Type: text/plain

This is an email abuse report.

--A
Content-Type: message/feedback-report

${fields}

--A
Content-Type: message/rfc822

${embedded}
--A--
`;

describe('classifyMessage: complaints', () => {
  it('RFC 5965 abuse report with Original-Rcpt-To', async () => {
    const got = await classifyMessage(
      arf('Feedback-Type: abuse\nUser-Agent: test/1.0\nVersion: 1\nOriginal-Rcpt-To: <Victim@Example.net>'),
    );
    expect(got).toEqual({
      kind: 'complaint',
      recipient: 'victim@example.net',
      hard: false,
      status: null,
      reason: 'feedback',
      feedbackType: 'abuse',
    });
  });

  it('falls back to the reported message To, CRLF', async () => {
    const got = await classifyMessage(arf('Feedback-Type: abuse\nVersion: 1').replace(/\n/g, '\r\n'));
    expect(got).toMatchObject({ kind: 'complaint', recipient: 'victim@example.net' });
  });

  it('several Original-Rcpt-To: recipients listed, none singled out', async () => {
    const got = await classifyMessage(
      arf('Feedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: a@example.net\nOriginal-Rcpt-To: b@example.net'),
    );
    expect(got).toMatchObject({ recipient: null, recipients: ['a@example.net', 'b@example.net'] });
  });

  it('DMARC auth-failure report keeps its feedback type', async () => {
    const got = await classifyMessage(arf('Feedback-Type: auth-failure\nVersion: 1\nOriginal-Rcpt-To: a@example.net'));
    expect(got).toMatchObject({ kind: 'complaint', feedbackType: 'auth-failure' });
  });

  it('Microsoft JMRP: the message attached with X-HmXmrOriginalRecipient', async () => {
    const raw = `From: staff@hotmail.com
To: fbl@example.com
Subject: complaint about message from 192.0.2.1
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="J"

--J
Content-Type: message/rfc822
Content-Disposition: inline

X-HmXmrOriginalRecipient: someone@outlook.example
From: sender@example.com
To: someone@outlook.example
Subject: offer

buy
--J--
`;
    expect(await classifyMessage(raw)).toMatchObject({
      kind: 'complaint',
      recipient: 'someone@outlook.example',
      feedbackType: 'abuse',
    });
  });
});
