import { describe, expect, it } from 'vitest';
import { parseGroupsInfo, parsePendingSummary, parseReadGroupReply } from './stream-replies.js';

describe('stream replies', () => {
  it('reads XREADGROUP replies, with the null fields of entries deleted while pending', () => {
    expect(parseReadGroupReply(null)).toEqual([]);
    expect(parseReadGroupReply([])).toEqual([]);
    expect(parseReadGroupReply([['s', []]])).toEqual([]);
    expect(
      parseReadGroupReply([
        [
          's',
          [
            ['1-0', ['e', '{}']],
            ['2-0', null],
          ],
        ],
      ]),
    ).toEqual([
      { id: '1-0', fields: ['e', '{}'] },
      { id: '2-0', fields: null },
    ]);
  });

  it('throws on XREADGROUP replies of another shape (e.g. RESP3 maps)', () => {
    const replies = [{ s: [] }, [['s', [['1-0', ['e', 1]]]]], [['s', [[1, ['e', '{}']]]]], [['s', [['1-0']]]], 'x'];
    for (const reply of replies) {
      expect(() => parseReadGroupReply(reply)).toThrow(/unexpected XREADGROUP/);
    }
  });

  it('reads XINFO GROUPS, lag null when Redis cannot tell', () => {
    const fields = ['consumers', 1, 'pending', 2, 'last-delivered-id', '5-1', 'entries-read', 7];
    const group = (name: string, lag: number | null) => ['name', name, ...fields, 'lag', lag];
    expect(parseGroupsInfo([group('webhooks', 3), group('w', null)])).toEqual([
      { name: 'webhooks', consumers: 1, pending: 2, lastDeliveredId: '5-1', lag: 3 },
      { name: 'w', consumers: 1, pending: 2, lastDeliveredId: '5-1', lag: null },
    ]);
    expect(() => parseGroupsInfo([['name', 'w', 'pending']])).toThrow(/unexpected XINFO GROUPS/);
    const consumersAsText = ['name', 'w', 'consumers', '1', 'pending', 0, 'last-delivered-id', '0-0'];
    expect(() => parseGroupsInfo([consumersAsText])).toThrow(/unexpected XINFO GROUPS/);
  });

  it('reads the XPENDING summary', () => {
    expect(parsePendingSummary([0, null, null, null])).toEqual({ count: 0, oldestId: null });
    expect(parsePendingSummary([2, '1-0', '3-0', [['c', '2']]])).toEqual({ count: 2, oldestId: '1-0' });
    expect(() => parsePendingSummary(['2', '1-0'])).toThrow(/unexpected XPENDING/);
  });
});
