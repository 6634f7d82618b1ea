import { useState } from 'preact/hooks';
import { api, type Bridge, type Pool } from '../api.js';
import { Dialog, FormDialog, ValueField } from '../ui.js';

// The Bridges list's dialogs: create, show credentials, rename, rotate, revoke.

export function CreateBridgeDialog({
  pools,
  onClose,
  onCreated,
}: {
  pools: Pool[];
  onClose: () => void;
  onCreated: (b: Bridge) => void;
}) {
  const [name, setName] = useState('');
  const [poolId, setPoolId] = useState(pools[0]?.id ?? '');
  const [trackOpens, setTrackOpens] = useState(false);
  const [trackClicks, setTrackClicks] = useState(false);
  const [sandbox, setSandbox] = useState(false);
  return (
    <FormDialog
      title="Create Bridge"
      submit="Create"
      onClose={onClose}
      onSubmit={async () =>
        onCreated(
          await api<Bridge>('POST', '/admin/v1/bridges', {
            name: name.trim(),
            poolId,
            trackOpens,
            trackClicks,
            mode: sandbox ? 'sandbox' : 'live',
          }),
        )
      }
    >
      <label>
        Name
        <input name="name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Pool
        <select name="pool" required value={poolId} onChange={(e) => setPoolId(e.currentTarget.value)}>
          {pools.length === 0 && <option value="">No Pools: create one first</option>}
          {pools.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.ips.join(', ')})
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" checked={trackOpens} onChange={(e) => setTrackOpens(e.currentTarget.checked)} /> Track
        opens
      </label>
      <label class="check">
        <input type="checkbox" checked={trackClicks} onChange={(e) => setTrackClicks(e.currentTarget.checked)} /> Track
        clicks
      </label>
      <label class="check">
        <input type="checkbox" checked={sandbox} onChange={(e) => setSandbox(e.currentTarget.checked)} /> Sandbox
        (accept and record, never send)
      </label>
      <p class="hint">The Pool cannot be changed later.</p>
    </FormDialog>
  );
}

/** Shows a Bridge's credentials (after creation or rotation). */
export function CredentialsDialog({ bridge, title, onClose }: { bridge: Bridge; title: string; onClose: () => void }) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>Store these now; they are also on the Bridge's page.</p>
      <div class="stack">
        <ValueField label="SMTP host" value={bridge.smtp.host} />
        <ValueField label="SMTP port (STARTTLS)" value={String(bridge.smtp.port)} />
        <ValueField label="SMTP port (TLS)" value={String(bridge.smtp.securePort)} />
        <ValueField label="SMTP username" value={bridge.smtp.username} />
        {bridge.smtp.password && <ValueField label="SMTP password" value={bridge.smtp.password} secret />}
        {bridge.apiKey && <ValueField label="API key" value={bridge.apiKey} secret />}
      </div>
      <div class="actions">
        <a class="button" href={`#/bridges/${bridge.id}`} onClick={onClose}>
          Open Bridge
        </a>
        <button type="button" class="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

export function RenameDialog({ bridge, onClose, onDone }: { bridge: Bridge; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(bridge.name);
  return (
    <FormDialog
      title={`Rename ${bridge.name}`}
      submit="Save"
      onClose={onClose}
      onSubmit={async () => {
        await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { name: name.trim() });
        onDone();
        onClose();
      }}
    >
      <label>
        New name
        <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
    </FormDialog>
  );
}

function WhatDialog({
  bridge,
  verb,
  options,
  onClose,
  onSubmit,
}: {
  bridge: Bridge;
  verb: string;
  options: [string, string][];
  onClose: () => void;
  onSubmit: (what: string) => Promise<void>;
}) {
  const [what, setWhat] = useState(options[0]?.[0] ?? '');
  return (
    <FormDialog
      title={`${verb} credentials of ${bridge.name}`}
      submit={verb}
      danger
      onClose={onClose}
      onSubmit={() => onSubmit(what)}
    >
      <fieldset>
        <legend>Which credential?</legend>
        {options.map(([value, label]) => (
          <label class="check" key={value}>
            <input type="radio" name="what" value={value} checked={what === value} onChange={() => setWhat(value)} />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <p class="hint">
        The old{' '}
        {verb === 'Rotate'
          ? 'credential stops working as soon as the new one is issued'
          : 'credential stops working at once; rotate it to send again'}
        . Other Bridges are not affected.
      </p>
    </FormDialog>
  );
}

export function RotateDialog({
  bridge,
  onClose,
  onDone,
}: {
  bridge: Bridge;
  onClose: () => void;
  onDone: (b: Bridge) => void;
}) {
  return (
    <WhatDialog
      bridge={bridge}
      verb="Rotate"
      options={[
        ['both', 'SMTP password and API key'],
        ['smtp', 'SMTP password'],
        ['api', 'API key'],
      ]}
      onClose={onClose}
      onSubmit={async (what) => onDone(await api<Bridge>('POST', `/admin/v1/bridges/${bridge.id}/rotate`, { what }))}
    />
  );
}

export function RevokeDialog({ bridge, onClose, onDone }: { bridge: Bridge; onClose: () => void; onDone: () => void }) {
  return (
    <WhatDialog
      bridge={bridge}
      verb="Revoke"
      options={[
        ['api', 'API key'],
        ['smtp', 'SMTP password'],
      ]}
      onClose={onClose}
      onSubmit={async (what) => {
        await api('POST', `/admin/v1/bridges/${bridge.id}/revoke`, { what });
        onDone();
        onClose();
      }}
    />
  );
}
