import { describe, expect, it } from 'vitest';
import { addressOf, parseDeliveryStatus } from './dsn.js';

describe('parseDeliveryStatus', () => {
  it('reads per-recipient groups with folded diagnostics and status comments', () => {
    const report = parseDeliveryStatus(
      'Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: RFC822; A@Example.net\r\nAction: Failed\r\nStatus: 5.4.4 (Illegal host/domain name found)\r\nDiagnostic-Code: smtp; 550 5.4.4\r\n    Invalid domain\r\n',
    );
    expect(report.perMessage.get('reporting-mta')).toBe('dns; mx.example.org');
    expect(report.recipients).toEqual([
      {
        finalRecipient: 'a@example.net',
        originalRecipient: null,
        action: 'failed',
        status: '5.4.4',
        statusComment: '(Illegal host/domain name found)',
        diagnosticType: 'smtp',
        diagnostic: '550 5.4.4 Invalid domain',
      },
    ]);
  });

  it('accepts a recipient group glued to the per-message fields', () => {
    const report = parseDeliveryStatus(
      'Reporting-MTA: dns; x\nFinal-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n',
    );
    expect(report.recipients[0]?.finalRecipient).toBe('a@example.net');
  });

  it('addressOf rejects an address without a local part', () => {
    expect(addressOf('RFC822; @mx.example.org')).toBeNull();
    expect(addressOf('rfc822;<x@example.org>')).toBe('x@example.org');
  });
});
