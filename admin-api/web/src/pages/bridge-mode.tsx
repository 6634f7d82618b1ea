import { useEffect, useState } from 'preact/hooks';
import { api, type Bridge } from '../api.js';
import { ErrorText, Notice } from '../ui.js';

/** The badge a sandbox Bridge wears in the Bridges list and on its page; nothing for a live one. */
export function ModeBadge({ bridge }: { bridge: Pick<Bridge, 'mode'> }) {
  if (bridge.mode !== 'sandbox') return null;
  return (
    <span class="status sandbox" title="Sandbox: messages are accepted and recorded, never sent" data-testid="mode">
      Sandbox
    </span>
  );
}

/** Switches a Bridge between live and sandbox; applies from the next message on. */
export function ModeCard({ bridge, onChanged }: { bridge: Bridge; onChanged: () => void }) {
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  // The choice shows at once and stays while the Bridge reloads (a failed switch shows the old mode).
  const [chosen, setChosen] = useState<Bridge['mode']>();
  const shown = chosen ?? bridge.mode;
  useEffect(() => setChosen(undefined), [bridge.mode]);
  const choose = async (mode: Bridge['mode']) => {
    setChosen(mode);
    try {
      await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { mode });
      setNotice(mode === 'sandbox' ? 'Sandbox: nothing is sent from the next message on' : 'Live: mail is sent');
      setError(undefined);
      onChanged();
    } catch (err) {
      setChosen(undefined);
      setError(err);
    }
  };
  const disabled = bridge.status === 'deleted';
  return (
    <section aria-labelledby="mode-h" class="card">
      <h2 id="mode-h">Mode</h2>
      <fieldset>
        <legend class="visually-hidden">Mode of this Bridge</legend>
        <label class="check">
          <input
            type="radio"
            name="mode"
            value="live"
            checked={shown === 'live'}
            disabled={disabled}
            onChange={() => choose('live')}
          />{' '}
          Live: messages are delivered
        </label>
        <label class="check">
          <input
            type="radio"
            name="mode"
            value="sandbox"
            checked={shown === 'sandbox'}
            disabled={disabled}
            onChange={() => choose('sandbox')}
          />{' '}
          Sandbox: accepted, tracked and signed, never sent
        </label>
      </fieldset>
      <p class="hint">
        Sandbox events are counted apart from live stats. Addresses at simulator.bridgemail.test (bounce@, softbounce@,
        complaint@, defer@, suppressed@) simulate their outcome from any Bridge.
      </p>
      <Notice text={notice} />
      <ErrorText error={error} />
    </section>
  );
}
