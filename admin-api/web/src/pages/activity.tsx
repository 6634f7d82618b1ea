import { useEffect, useState } from 'preact/hooks';
import { api, utc, type Bridge } from '../api.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync } from '../ui.js';

/** The latest states a row can be in, as `GET /admin/v1/messages` filters them. */
const STATES = [
  'queued',
  'scheduled',
  'deferred',
  'delivered',
  'bounced',
  'complained',
  'suppressed',
  'cancelled',
] as const;

/** One (message, recipient) row of `GET /admin/v1/messages`. */
interface MessageRow {
  messageId: string;
  bridgeId: string;
  bridgeName: string | null;
  recipient: string;
  state: (typeof STATES)[number];
  acceptedAt: string;
  stateAt: string;
  attempts: number;
  reply: string;
  /** When a scheduled message is (or was) due; null for one sent when accepted. */
  sendAt: string | null;
}

/** One event of `GET /admin/v1/messages/:id`. */
interface TimelineEvent {
  eventId: string;
  type: string;
  ts: string;
  recipient: string;
  ip: string;
  mx: string;
  replyCode: number;
  reply: string;
  reason: string;
  /** The message's tag ('' when none) and metadata: the same on every event of the message. */
  tag?: string;
  metadata?: Record<string, string>;
}

/** The tag and metadata of a message, from its events (every event carries them). */
function MessageLabels({ events }: { events: TimelineEvent[] }) {
  const tag = events.find((e) => e.tag)?.tag;
  const metadata = Object.entries(events.find((e) => e.metadata && Object.keys(e.metadata).length > 0)?.metadata ?? {});
  if (!tag && metadata.length === 0) return null;
  return (
    <dl class="details" data-testid="message-labels">
      {tag && (
        <div>
          <dt>Tag</dt>
          <dd class="mono">{tag}</dd>
        </div>
      )}
      {metadata.map(([key, value]) => (
        <div key={key}>
          <dt class="mono">{key}</dt>
          <dd class="mono">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

interface Filters {
  bridgeId: string;
  recipient: string;
  status: string;
  /** `YYYY-MM-DD`, a UTC day. */
  fromDay: string;
  toDay: string;
}

const NO_FILTERS: Filters = { bridgeId: '', recipient: '', status: '', fromDay: '', toDay: '' };

/** The query string of a search: days are UTC, `to` includes its whole day. */
function searchQuery(f: Filters, cursor?: string): string {
  const q = new URLSearchParams({ limit: '50' });
  if (f.bridgeId) q.set('bridgeId', f.bridgeId);
  if (f.recipient.trim()) q.set('recipient', f.recipient.trim());
  if (f.status) q.set('status', f.status);
  if (f.fromDay) q.set('from', `${f.fromDay}T00:00:00Z`);
  if (f.toDay) q.set('to', new Date(Date.parse(`${f.toDay}T00:00:00Z`) + 86_400_000).toISOString());
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** Message activity: every (message, recipient) with its latest state, newest first; or one message's timeline. */
export function ActivityPage({ messageId }: { messageId?: string | undefined }) {
  return messageId ? <TimelineView messageId={messageId} /> : <ActivityList />;
}

function ActivityList() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [rows, setRows] = useState<MessageRow[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [cancelling, setCancelling] = useState<MessageRow | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);

  const load = async (filters: Filters, cursor?: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const page = await api<{ data: MessageRow[]; nextCursor: string | null }>(
        'GET',
        `/admin/v1/messages?${searchQuery(filters, cursor)}`,
      );
      setRows((old) => (cursor ? [...(old ?? []), ...page.data] : page.data));
      setNext(page.nextCursor);
    } catch (err) {
      setError(err);
      if (!cursor) setRows(undefined);
    } finally {
      setBusy(false);
    }
  };
  // Each Search runs the query again, with the same filters too; the rows of the last search are
  // cleared in the same render as the new filters are applied, so they never show under them.
  const [searches, setSearches] = useState(0);
  useEffect(() => {
    void load(applied);
  }, [JSON.stringify(applied), searches]);

  const set = (key: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [key]: e.currentTarget.value });
  return (
    <section>
      <PageTitle>Activity</PageTitle>
      <p class="hint">
        One row per message and recipient with its latest state, newest accepted first. Dates and times are UTC.
      </p>
      <form
        class="inline-form"
        aria-label="Search messages"
        onSubmit={(e) => {
          e.preventDefault();
          setRows(undefined);
          setNext(null);
          setApplied({ ...draft });
          setSearches(searches + 1);
        }}
      >
        <label>
          Bridge
          <select value={draft.bridgeId} onChange={set('bridgeId')}>
            <option value="">All Bridges</option>
            {bridges.data?.data.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Recipient
          <input
            type="text"
            name="recipient"
            inputMode="email"
            placeholder="exact address"
            value={draft.recipient}
            onInput={set('recipient')}
          />
        </label>
        <label>
          Status
          <select value={draft.status} onChange={set('status')}>
            <option value="">Any status</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC day)
          <input type="date" value={draft.fromDay} onInput={set('fromDay')} />
        </label>
        <label>
          To (UTC day, included)
          <input type="date" value={draft.toDay} onInput={set('toDay')} />
        </label>
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <ErrorText error={error ?? bridges.error} />
      <Notice text={notice} />
      {cancelling && (
        <ConfirmDialog
          title="Cancel scheduled message"
          text={`Message ${cancelling.messageId} will not be sent to any of its recipients. This cannot be undone.`}
          confirm="Cancel the message"
          onConfirm={async () => {
            const done = await api<{ recipients: string[] }>(
              'DELETE',
              `/admin/v1/messages/${encodeURIComponent(cancelling.messageId)}`,
            );
            setNotice(`Cancelled ${cancelling.messageId} for ${done.recipients.length} recipient(s).`);
            void load(applied);
          }}
          onClose={() => setCancelling(undefined)}
        />
      )}
      <table class="activity">
        <caption class="visually-hidden">Messages per recipient, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Accepted (UTC)</th>
            <th scope="col">Recipient</th>
            <th scope="col">Bridge</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last reply</th>
            <th scope="col">Timeline</th>
          </tr>
        </thead>
        <tbody>
          {rows?.map((r) => (
            <tr key={`${r.messageId}/${r.recipient}`} data-testid="activity-row">
              <td class="nowrap">
                <time dateTime={r.acceptedAt}>{utc(r.acceptedAt, 'second')}</time>
              </td>
              <th scope="row" class="mono">
                {r.recipient}
              </th>
              <td>{r.bridgeName ?? <span class="mono">{r.bridgeId}</span>}</td>
              <td>
                <strong>{r.state}</strong>{' '}
                <time class="small-text" dateTime={r.stateAt}>
                  {utc(r.stateAt, 'second')}
                </time>
                {r.sendAt && (
                  <span class="small-text">
                    {' '}
                    due <time dateTime={r.sendAt}>{utc(r.sendAt, 'second')}</time>
                  </span>
                )}
                {r.state === 'scheduled' && (
                  <>
                    {' '}
                    <button type="button" class="danger" onClick={() => setCancelling(r)}>
                      Cancel<span class="visually-hidden"> message to {r.recipient}</span>
                    </button>
                  </>
                )}
              </td>
              <td>{r.attempts}</td>
              <td class="small-text">{r.reply}</td>
              <td>
                <a href={`#/activity/${encodeURIComponent(r.messageId)}`}>
                  <span class="visually-hidden">Timeline of </span>
                  <span class="mono">{r.messageId}</span>
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {busy && <Loading what="messages" />}
      {rows && rows.length === 0 && !busy && <p role="status">No messages match.</p>}
      <div class="actions">
        <button type="button" disabled={!next || busy} onClick={() => next && void load(applied, next)}>
          Load more
        </button>
      </div>
    </section>
  );
}

/** Every event of one message (`GET /admin/v1/messages/:id`), oldest first. */
function TimelineView({ messageId }: { messageId: string }) {
  const timeline = useAsync(
    () => api<{ data: TimelineEvent[] }>('GET', `/admin/v1/messages/${encodeURIComponent(messageId)}`),
    [messageId],
  );
  return (
    <section>
      <PageTitle>Message {messageId}</PageTitle>
      <p>
        <a href="#/activity">Back to activity</a>
      </p>
      <p class="hint">Times are UTC.</p>
      <ErrorText error={timeline.error} />
      {timeline.loading && <Loading what="the timeline" />}
      {timeline.data && <MessageLabels events={timeline.data.data} />}
      {timeline.data && (
        <table class="timeline">
          <caption class="visually-hidden">Events of the message, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Event</th>
              <th scope="col">Recipient</th>
              <th scope="col">IP / MX</th>
              <th scope="col">Reply</th>
            </tr>
          </thead>
          <tbody>
            {timeline.data.data.map((e) => (
              <tr key={e.eventId} data-testid="timeline-event">
                <td class="nowrap">
                  <time dateTime={e.ts}>{utc(e.ts, 'second')}</time>
                </td>
                <th scope="row">{e.type}</th>
                <td class="mono">{e.recipient}</td>
                <td class="mono">{[e.ip, e.mx].filter(Boolean).join(' → ')}</td>
                <td class="small-text">
                  {e.replyCode > 0 && !e.reply.startsWith(String(e.replyCode)) && `${e.replyCode} `}
                  {e.reply}
                  {e.reason && ` (${e.reason})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
