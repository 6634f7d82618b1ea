import { useState } from 'preact/hooks';
import { api, type Bridge, type BridgeLimitName, type BridgeUsage } from '../api.js';
import { ErrorText, Notice, useAsync } from '../ui.js';

const LIMITS: readonly { name: BridgeLimitName; label: string }[] = [
  { name: 'perSecond', label: 'Per second' },
  { name: 'perMinute', label: 'Per minute' },
  { name: 'perHour', label: 'Per hour' },
  { name: 'perDay', label: 'Per day (UTC)' },
];

/** The form's text for each limit: the number, or empty for none. */
const asText = (bridge: Bridge) =>
  Object.fromEntries(LIMITS.map(({ name }) => [name, String(bridge.limits?.[name] ?? '')])) as Record<
    BridgeLimitName,
    string
  >;

/** A Bridge's sending limits (editable) and its usage in the current window of each, with its refusals. */
export function LimitsCard({ bridge, onChanged }: { bridge: Bridge; onChanged: () => void }) {
  const usage = useAsync(() => api<BridgeUsage>('GET', `/admin/v1/bridges/${bridge.id}/usage`), [bridge.id]);
  const [values, setValues] = useState(() => asText(bridge));
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const save = async (e: Event) => {
    e.preventDefault();
    // Empty fields are no limit; the API refuses anything but positive integers, naming the field.
    const limits = Object.fromEntries(
      LIMITS.flatMap(({ name }) => (values[name].trim() === '' ? [] : [[name, Number(values[name])]])),
    );
    try {
      await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { limits });
      setNotice(Object.keys(limits).length === 0 ? 'Sending limits removed' : 'Sending limits saved');
      setError(undefined);
      onChanged();
      usage.reload();
    } catch (err) {
      setError(err);
    }
  };
  const windows = usage.data?.windows ?? [];
  const refused = usage.data?.rateLimited;
  return (
    <section aria-labelledby="limits-h" class="card">
      <h2 id="limits-h">Sending limits</h2>
      {/* The API checks the values and names the field at fault; the browser's own check would hide that. */}
      <form class="stack" noValidate onSubmit={save}>
        {LIMITS.map(({ name, label }) => (
          <label key={name}>
            {label}
            <input
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              placeholder="no limit"
              disabled={bridge.status === 'deleted'}
              value={values[name]}
              onInput={(e) => setValues({ ...values, [name]: e.currentTarget.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={bridge.status === 'deleted'}>
          Save limits
        </button>
      </form>
      <p class="hint">
        Over a limit, REST answers 429 with Retry-After and SMTP 452 4.7.1 (the client retries); nothing accepted is
        dropped. Windows are fixed: up to twice a limit may pass across the boundary of two windows.
      </p>
      <Notice text={notice} />
      <ErrorText error={error} />
      <ErrorText error={usage.error} />
      {windows.length > 0 && (
        <table class="usage">
          <caption>Usage in the current windows</caption>
          <thead>
            <tr>
              <th scope="col">Limit</th>
              <th scope="col">Used</th>
              <th scope="col">Resets (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {windows.map((w) => (
              <tr key={w.limit}>
                <th scope="row">{LIMITS.find((l) => l.name === w.limit)?.label ?? w.limit}</th>
                <td>
                  {w.used} / {w.max}
                </td>
                <td>{w.resetsAt.slice(11, 19)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {usage.data && windows.length === 0 && <p>No limits: every message is accepted.</p>}
      {refused && (
        <p>
          Refused for a limit: {refused.today} today, {refused.total} in all.
        </p>
      )}
    </section>
  );
}
