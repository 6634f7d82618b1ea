import { useState } from 'preact/hooks';
import { api, bridgeStatus, type Bridge, type EventKind, type Pool, type Sample, type Webhook } from '../api.js';
import { CopyButton, ErrorText, Notice, PageTitle, Tabs, useAsync, ValueField } from '../ui.js';

const LANGUAGES: [Sample['language'], string][] = [
  ['curl', 'cURL'],
  ['php', 'PHP'],
  ['node', 'Node'],
  ['python', 'Python'],
  ['bash', 'Bash'],
];

/** One Bridge: SMTP details, API key, code samples, tracking toggles, Pool, webhooks. */
export function BridgeDetailPage({ id }: { id: string }) {
  const bridge = useAsync(() => api<Bridge>('GET', `/admin/v1/bridges/${id}`), [id]);
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const b = bridge.data;
  if (!b) return <ErrorText error={bridge.error} />;
  const pool = pools.data?.data.find((p) => p.id === b.poolId);
  return (
    <section>
      <p class="crumbs">
        <a href="#/bridges">Bridges</a> / {b.name}
      </p>
      <div class="title-row">
        <PageTitle>{b.name}</PageTitle>
        <span class={`status ${bridgeStatus(b)}`}>{bridgeStatus(b)}</span>
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
        <section aria-labelledby="pool-h" class="card">
          <h2 id="pool-h">Pool</h2>
          <p>
            <strong>{pool?.name ?? b.poolId}</strong> {pool && <span class="mono">({pool.ips.join(', ')})</span>}
          </p>
          <p class="hint">A Bridge stays bound to the Pool it was created with; its mail leaves only from these IPs.</p>
        </section>
      </div>
      {b.status !== 'deleted' && <SamplesCard id={b.id} />}
      <WebhooksCard id={b.id} />
    </section>
  );
}

/** How a credential's status reads after "SMTP" or "API key". */
function credentialHint(status: Bridge['smtpStatus']): string {
  if (status === 'deleted') return 'no longer works: the Bridge was deleted';
  return status === 'revoked' ? 'is revoked: rotate it to send again' : 'is active';
}

function TrackingCard({ bridge, onChanged }: { bridge: Bridge; onChanged: () => void }) {
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const toggle = async (field: 'trackOpens' | 'trackClicks', value: boolean) => {
    try {
      await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { [field]: value });
      setNotice(`${field === 'trackOpens' ? 'Open' : 'Click'} tracking ${value ? 'on' : 'off'}`);
      setError(undefined);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="track-h" class="card">
      <h2 id="track-h">Tracking</h2>
      <label class="check">
        <input
          type="checkbox"
          checked={bridge.trackOpens}
          disabled={bridge.status === 'deleted'}
          onChange={(e) => toggle('trackOpens', e.currentTarget.checked)}
        />{' '}
        Track opens (pixel)
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={bridge.trackClicks}
          disabled={bridge.status === 'deleted'}
          onChange={(e) => toggle('trackClicks', e.currentTarget.checked)}
        />{' '}
        Track clicks (rewritten links)
      </label>
      <p class="hint">Applied when each message is sent; with both off, messages leave byte for byte as submitted.</p>
      <Notice text={notice} />
      <ErrorText error={error} />
    </section>
  );
}

function SamplesCard({ id }: { id: string }) {
  const samples = useAsync(() => api<{ data: Sample[] }>('GET', `/admin/v1/bridges/${id}/samples`), [id]);
  return (
    <section aria-labelledby="samples-h" class="card">
      <h2 id="samples-h">Code samples</h2>
      <ErrorText error={samples.error} />
      {samples.data && (
        <Tabs
          label="Sample language"
          tabs={LANGUAGES.map(([lang, title]) => ({
            id: lang,
            title,
            content: samples.data?.data
              .filter((s) => s.language === lang)
              .map((s) => (
                <figure key={`${lang}-${s.variant}`}>
                  <figcaption>
                    {s.title} <span class="mono">({s.filename})</span>{' '}
                    <CopyButton text={s.code} label={`${title} ${s.variant} sample`} />
                  </figcaption>
                  <pre tabIndex={0}>
                    <code>{s.code}</code>
                  </pre>
                </figure>
              )),
          }))}
        />
      )}
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
