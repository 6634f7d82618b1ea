import { describe, expect, it } from 'vitest';
import { diagnose } from './diagnose.js';
import { isHardReason } from './reasons.js';
import { failedStage } from './smtp-stage.js';

describe('failedStage', () => {
  it.each([
    ['550 5.1.1 <a@example.net>: User unknown (in reply to RCPT TO command)', 'rcpt'],
    ['550 Unknown user a@example.net (in reply to end of DATA command)', 'data'],
    ['554 5.7.1 Service unavailable (in reply to MAIL FROM command)', 'mail'],
    ['SMTP error from remote mail server after end of data: 550 User unknown', 'data'],
    ['SMTP error from remote mail server after RCPT TO:<a@example.net>: 550 No such user', 'rcpt'],
    ['SMTP error from remote mail server after MAIL FROM:<b@example.org> SIZE=1024: 450 try later', 'mail'],
    ['SMTP error from remote mail server after initial connection: 554 go away', 'connect'],
    ['rejected recipient <a@example.net> (Error following RCPT command). It responded: 550 5.1.1', 'rcpt'],
    ['-------server message\n550 unknown user <a@example.net>\n-------SMTP command\nDATA\n', 'data'],
    [
      '... while talking to mx.example.net.:\n>>> DATA\n<<< 550 Unknown user a@example.net\n554 5.0.0 Service unavailable',
      'data',
    ],
    [
      '>>> MAIL From:<b@example.org>\n<<< 250 ok\n>>> RCPT To:<a@example.net>\n<<< 550 5.1.1 No such user\n>>> DATA\n<<< 503 Need RCPT',
      'rcpt',
    ],
    // Unfolded into one line, as report excerpts are.
    ['... while talking to mx.example.net.: >>> DATA <<< 550 User unknown 554 5.0.0 Service unavailable', 'data'],
  ])('%s → %s', (text, stage) => {
    expect(failedStage(text)).toBe(stage);
  });

  it('says nothing when the report names no command', () => {
    expect(failedStage('550 5.1.1 <a@example.net>: Recipient address rejected: User unknown')).toBeUndefined();
    expect(failedStage('The data you sent was fine; user unknown')).toBeUndefined();
  });
});

describe('the stage in the reason', () => {
  it('takes an unknown-user answer to the message data for a filter, unless the status names the mailbox', () => {
    expect(diagnose({ texts: ['550 Unknown user a@example.net'], status: '5.0.0', stage: 'data' })).toBe('filtered');
    expect(diagnose({ texts: ['550 Unknown user a@example.net'], status: '5.1.1', stage: 'data' })).toBe('userunknown');
    expect(diagnose({ texts: ['550 Unknown user a@example.net'], status: '5.0.0', stage: 'rcpt' })).toBe('userunknown');
    expect(diagnose({ texts: ['552 Mailbox full'], status: '5.2.2', stage: 'data' })).toBe('mailboxfull');
  });

  it('takes a permanent refusal of RCPT TO that gives no reason for a refused mailbox', () => {
    const bare = '550 <a@example.net>: Recipient address rejected.';
    expect(diagnose({ texts: [bare], status: '5.0.0', replyCode: 550, stage: 'rcpt' })).toBe('userunknown');
    expect(diagnose({ texts: [bare], status: '4.0.0', replyCode: 450, stage: 'rcpt' })).toBe('undefined');
    expect(diagnose({ texts: [bare], status: '5.0.0', replyCode: 550 })).toBe('undefined');
    expect(diagnose({ texts: ['550 Denied by policy'], status: null, replyCode: 550, stage: 'rcpt' })).toBe(
      'policyviolation',
    );
  });
});

describe('isHardReason', () => {
  it('follows the reason in a final report, a temporary class only where the code names the address', () => {
    expect(isHardReason('userunknown', '5.1.1', 550)).toBe(true);
    expect(isHardReason('userunknown', '4.1.1', 450)).toBe(true);
    expect(isHardReason('hostunknown', '4.0.0', undefined)).toBe(false);
    expect(isHardReason('notaccept', '5.3.2', 521)).toBe(true);
    expect(isHardReason('notaccept', '4.3.2', 421)).toBe(false);
    expect(isHardReason('mailboxfull', '5.2.2', 552)).toBe(false);
    expect(isHardReason('filtered', '5.0.0', 550)).toBe(false);
  });

  it('is never hard for a delay warning or a reply that will be retried', () => {
    expect(isHardReason('userunknown', '5.1.1', 550, { delayed: true })).toBe(false);
    expect(isHardReason('userunknown', '4.1.1', 450, { final: false })).toBe(false);
  });
});
