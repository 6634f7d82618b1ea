import { useEffect, useState } from 'preact/hooks';
import { api, bridgeStatus, statusText, type Bridge, type EventKind, type Pool, type Webhook } from '../api.js';
import { ErrorText, isNotFound, Loading, Notice, PageTitle, useAsync, ValueField } from '../ui.js';
import { LimitsCard } from './bridge-limits.js';
import { ModeBadge, ModeCard } from './bridge-mode.js';
import { SamplesCard } from './bridge-samples.js';

/** One Bridge: SMTP details, API key, code samples, tracking toggles, Pool, webhooks. */
export function BridgeDetailPage({ id }: { id: string }) {
  const bridge = useAsync(() => api<Bridge>('GET', `/admin/v1/bridges/${id}`), [id]);
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const b = bridge.data;
  if (isNotFound(bridge.error)) return <NoSuchBridge id={id} />;
  if (!b) return bridge.error ? <ErrorText error={bridge.error} /> : <Loading what="the Bridge" />;
  const pool = pools.data?.data.find((p) => p.id === b.poolId);
  return (
    <section>
      <p class="crumbs">
        <a href="#/bridges">Bridges</a> / {b.name}
      </p>
      <div class="title-row">
        <PageTitle>{b.name}</PageTitle>
        <span class={`status ${bridgeStatus(b)}`}>{statusText(b)}</span>
        <ModeBadge bridge={b} />
        <a class="button" href={`#/bridges/${b.id}/stats`}>
          Sending stats
        </a>
      </div>
      <div class="grid">
        <section aria-labelledby="smtp-h" class="card">
          <h2 id="smtp-h">SMTP details</h2>
          <div class="stack">
            <ValueField label="Host" value={b.smtp.host} />
            <ValueField label="Port" value={`${b.smtp.port}`} />
            <ValueField label="Encryption" value={`STARTTLS on ${b.smtp.port}, TLS on ${b.smtp.securePort}`} />
            <ValueField label="TLS port" value={`${b.smtp.securePort}`} />
            <ValueField label="Username" value={b.smtp.username} />
            {b.smtp.password !== undefined && <ValueField label="Password" value={b.smtp.password} secret />}
            <p class="hint">SMTP {credentialHint(b.smtpStatus)}.</p>
          </div>
        </section>
        <section aria-labelledby="api-h" class="card">
          <h2 id="api-h">REST API</h2>
          <div class="stack">
            <ValueField label="Send endpoint" value={b.sendEndpoint} />
            {b.apiKey !== undefined && <ValueField label="API key" value={b.apiKey} secret />}
            <p class="hint">API key {credentialHint(b.apiStatus)}.</p>
            {b.status !== 'deleted' && (
              <p>
                Download credentials:{' '}
                {(['env', 'json', 'txt'] as const).map((f) => (
                  <a
                    key={f}
                    class="button small"
                    href={`/admin/v1/bridges/${b.id}/credentials-file?format=${f}`}
                    download
                  >
                    .{f}
                  </a>
                ))}
              </p>
            )}
          </div>
        </section>
        <TrackingCard bridge={b} onChanged={bridge.reload} />
        <ModeCard bridge={b} onChanged={bridge.reload} />
        <section aria-labelledby="pool-h" class="card">
          <h2 id="pool-h">Pool</h2>
          <p>
            <strong>{pool?.name ?? b.poolId}</strong> {pool && <span class="mono">({pool.ips.join(', ')})</span>}
          </p>
          <p class="hint">A Bridge stays bound to the Pool it was created with; its mail leaves only from these IPs.</p>
        </section>
        <LimitsCard bridge={b} onChanged={bridge.reload} />
      </div>
      {b.status !== 'deleted' && <SamplesCard id={b.id} secrets={[b.apiKey ?? '', b.smtp.password ?? '']} />}
      <WebhooksCard id={b.id} />
    </section>
  );
}

/** A Bridge id that names nothing: its own page, with nothing that could act on any Bridge. */
export function NoSuchBridge({ id }: { id: string }) {
  return (
    <section>
      <p class="crumbs">
        <a href="#/bridges">Bridges</a> / not found
      </p>
      <PageTitle>No such Bridge</PageTitle>
      <p>
        No Bridge has the id <code>{id}</code>. <a href="#/bridges">Back to the Bridges list</a>
      </p>
    </section>
  );
}

/** How a credential's status reads after "SMTP" or "API key". */
function credentialHint(status: Bridge['smtpStatus']): string {
  if (status === 'deleted') return 'no longer works: the Bridge was deleted';
  return status === 'revoked' ? 'is revoked: rotate it to send again' : 'is active';
}

type TrackingField = 'trackOpens' | 'trackClicks' | 'listUnsubscribe';

function TrackingCard({ bridge, onChanged }: { bridge: Bridge; onChanged: () => void }) {
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  // A box shows its new state at once and keeps it while the Bridge reloads (a failed change shows the
  // saved state again); without this, any render before the reload put the saved state back.
  const [chosen, setChosen] = useState<Partial<Record<TrackingField, boolean>>>({});
  useEffect(() => setChosen({}), [bridge.trackOpens, bridge.trackClicks, bridge.listUnsubscribe]);
  const shown = (field: TrackingField) => chosen[field] ?? bridge[field];
  const toggle = async (field: TrackingField, value: boolean) => {
    setChosen((c) => ({ ...c, [field]: value }));
    try {
      await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { [field]: value });
      const what = {
        trackOpens: 'Open tracking',
        trackClicks: 'Click tracking',
        listUnsubscribe: 'One-click unsubscribe',
      };
      setNotice(`${what[field]} ${value ? 'on' : 'off'}`);
      setError(undefined);
      onChanged();
    } catch (err) {
      setChosen((c) => ({ ...c, [field]: undefined }));
      setError(err);
    }
  };
  return (
    <section aria-labelledby="track-h" class="card">
      <h2 id="track-h">Tracking</h2>
      <label class="check">
        <input
          type="checkbox"
          checked={shown('trackOpens')}
          disabled={bridge.status === 'deleted'}
          onChange={(e) => toggle('trackOpens', e.currentTarget.checked)}
        />{' '}
        Track opens (pixel)
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={shown('trackClicks')}
          disabled={bridge.status === 'deleted'}
          onChange={(e) => toggle('trackClicks', e.currentTarget.checked)}
        />{' '}
        Track clicks (rewritten links)
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={shown('listUnsubscribe')}
          disabled={bridge.status === 'deleted'}
          onChange={(e) => toggle('listUnsubscribe', e.currentTarget.checked)}
        />{' '}
        One-click unsubscribe (List-Unsubscribe header, RFC 8058)
      </label>
      <p class="hint">
        Applied when each message is sent; with all three off, messages leave byte for byte as submitted. A message with
        its own List-Unsubscribe header keeps it.
      </p>
      <Notice text={notice} />
      <ErrorText error={error} />
    </section>
  );
}

function WebhooksCard({ id }: { id: string }) {
  const hooks = useAsync(() => api<{ data: Webhook[] }>('GET', `/admin/v1/bridges/${id}/webhooks`), [id]);
  // The kinds come from the server's event schema: the console keeps no list of its own.
  const kinds = useAsync(() => api<{ data: EventKind[] }>('GET', '/admin/v1/event-types'), []);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['delivered', 'bounced', 'complained']);
  const [error, setError] = useState<unknown>();
  const [secret, setSecret] = useState<string>();
  return (
    <section aria-labelledby="hooks-h" class="card">
      <h2 id="hooks-h">Webhooks</h2>
      <ErrorText error={hooks.error} />
      <ul class="plain">
        {hooks.data?.data.map((w) => (
          <li key={w.id}>
            <span class="mono">{w.url}</span> — {w.eventTypes.join(', ')}{' '}
            <button
              type="button"
              class="small danger"
              aria-label={`Remove webhook ${w.url}`}
              onClick={async () => {
                try {
                  await api('DELETE', `/admin/v1/bridges/${id}/webhooks/${w.id}`);
                  hooks.reload();
                } catch (err) {
                  setError(err);
                }
              }}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {hooks.data?.data.length === 0 && <p>No webhooks.</p>}
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const created = await api<{ secret: string }>('POST', `/admin/v1/bridges/${id}/webhooks`, {
              url: url.trim(),
              eventTypes: types,
            });
            setSecret(created.secret);
            setUrl('');
            setError(undefined);
            hooks.reload();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Webhook URL
          <input
            type="url"
            required
            maxLength={2000}
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            placeholder="https://app.example/hooks/mail"
          />
        </label>
        <fieldset>
          <legend>Events</legend>
          <ErrorText error={kinds.error} />
          {kinds.data?.data.map(({ type: t, meaning }) => (
            <label class="check inline" key={t} title={meaning}>
              <input
                type="checkbox"
                checked={types.includes(t)}
                onChange={(e) => setTypes(e.currentTarget.checked ? [...types, t] : types.filter((x) => x !== t))}
              />{' '}
              {t}
            </label>
          ))}
        </fieldset>
        <ErrorText error={error} />
        <button type="submit">Add webhook</button>
      </form>
      {secret && <ValueField label="Webhook signing secret (shown once)" value={secret} secret />}
    </section>
  );
}
