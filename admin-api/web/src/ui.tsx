import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/**
 * Loads data once, again when `deps` change, and on `reload()`; keeps the last error. When `deps`
 * change the old data and error are dropped at once: a page never shows one id's data under another.
 * `loading` is true until the first answer for the current deps (a reload keeps what is shown).
 */
export function useAsync<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown }>({ key: '' });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(deps);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ key, data }),
      // A failed reload drops the old data too: numbers from before an outage would read as current.
      (error: unknown) => live && setState({ key, error }),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure on every render: the caller's deps say when it must run again.
  }, [key, tick]);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: !current,
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}

/** Whether an error is the API's 404 (the id names nothing). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** Shown while a page's data is on its way, so an empty table is never mistaken for "none". */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" class="loading">
      Loading {what}…
    </p>
  );
}

/** An error message, announced to screen readers. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError
      ? `${error.message}${error.field ? ` (${error.field})` : ''} [${error.code}]`
      : error instanceof Error
        ? error.message
        : typeof error === 'string'
          ? error
          : 'unexpected error';
  return (
    <p role="alert" class="error">
      {text}
    </p>
  );
}

/** A status message, announced politely. */
export function Notice({ text }: { text: string | undefined }) {
  return (
    <p role="status" aria-live="polite" class="notice">
      {text ?? ''}
    </p>
  );
}

/** Copies `text` to the clipboard. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard refused (insecure context, permissions): fall back to a hidden textarea.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" class="small" onClick={copy} aria-label={`Copy ${label}`}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A read-only value with a copy button; secrets stay hidden until revealed. */
export function ValueField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const id = useId();
  const [shown, setShown] = useState(!secret);
  return (
    <div class="field-row">
      <label for={id}>{label}</label>
      {shown ? (
        <input id={id} readOnly type="text" value={value} class="mono" />
      ) : (
        <input id={id} readOnly type="password" value={value} class="mono" />
      )}
      {secret && (
        <button
          type="button"
          class="small"
          aria-pressed={shown}
          aria-label={`${shown ? 'Hide' : 'Show'} ${label}`}
          onClick={() => setShown(!shown)}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
      )}
      <CopyButton text={value} label={label} />
    </div>
  );
}

/** A modal dialog (native `<dialog>`: focus is trapped, Escape closes). */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const mounted = useRef(true);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    mounted.current = true;
    if (d && !d.open) d.showModal();
    return () => {
      // Closing because the app replaced this dialog is not the user closing it: no onClose then.
      mounted.current = false;
      d?.close();
    };
  }, []);
  const closed = () => {
    if (mounted.current) onClose();
  };
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={closed}>
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}

/**
 * A dialog around one form: the caller gives the fields and what submitting does; the dialog adds the
 * error line and the Cancel / submit buttons, and shows what `onSubmit` throws.
 */
export function FormDialog({
  title,
  submit,
  danger = false,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  /** The submit button's text. */
  submit: string;
  /** A destructive submit (red button) rather than the primary one. */
  danger?: boolean;
  onSubmit: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<unknown>();
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await onSubmit();
          } catch (err) {
            setError(err);
          }
        }}
      >
        {children}
        <ErrorText error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class={danger ? 'danger' : 'primary'}>
            {submit}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Asks before a destructive action. */
export function ConfirmDialog({
  title,
  text,
  confirm,
  onConfirm,
  onClose,
}: {
  title: string;
  text: string;
  confirm: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{text}</p>
      <ErrorText error={error} />
      <div class="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
              onClose();
            } catch (e) {
              setError(e);
              setBusy(false);
            }
          }}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}

/** Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs, Tab enters the panel). */
export function Tabs({
  label,
  tabs,
}: {
  label: string;
  tabs: { id: string; title: string; content: ComponentChildren }[];
}) {
  const [active, setActive] = useState(0);
  const base = useId();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (to: number) => {
    const next = (to + tabs.length) % tabs.length;
    setActive(next);
    refs.current[next]?.focus();
  };
  return (
    <div class="tabs">
      <div role="tablist" aria-label={label}>
        {tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[i] = el;
            }}
            role="tab"
            type="button"
            id={`${base}-tab-${i}`}
            aria-selected={i === active}
            aria-controls={`${base}-panel-${i}`}
            tabIndex={i === active ? 0 : -1}
            onClick={() => setActive(i)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight') move(i + 1);
              else if (e.key === 'ArrowLeft') move(i - 1);
              else if (e.key === 'Home') move(0);
              else if (e.key === 'End') move(tabs.length - 1);
            }}
          >
            {t.title}
          </button>
        ))}
      </div>
      {tabs.map((t, i) => (
        <div
          key={t.id}
          role="tabpanel"
          id={`${base}-panel-${i}`}
          aria-labelledby={`${base}-tab-${i}`}
          hidden={i !== active}
          tabIndex={0}
        >
          {t.content}
        </div>
      ))}
    </div>
  );
}

/** A stat tile; `sub` says what the value's rate is over. */
export function Tile({ label, value, sub }: { label: string; value: number | string; sub?: string }) {
  const id = label.toLowerCase().replace(/\s+/g, '-');
  return (
    <div class="tile" role="group" aria-label={label}>
      <div class="tile-label">{label}</div>
      <div class="tile-value" data-testid={`tile-${id}`}>
        {value}
      </div>
      {sub && (
        <div class="tile-sub" data-testid={`tile-${id}-sub`}>
          {sub}
        </div>
      )}
    </div>
  );
}

/** The time ranges the stats pages offer: hours back from now, and how each reads. */
const RANGES = [
  ['24', 'Last 24 hours'],
  ['168', 'Last 7 days'],
  ['720', 'Last 30 days'],
] as const;

/** The stats pages' range picker; `hours` is one of the offered ranges' hours, as text. */
export function RangeSelect({ hours, onChange }: { hours: string; onChange: (hours: string) => void }) {
  return (
    <label>
      Range{' '}
      <select value={hours} onChange={(e) => onChange(e.currentTarget.value)}>
        {RANGES.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The page's heading; focusable so route changes can move focus to it. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}

/**
 * Names every body cell after its column (`data-label`), so a narrow screen can show each row as a
 * card of "label: value" lines (layout.css) without a table wider than the screen. Runs on every
 * change under `root`: pages render their tables at different times.
 */
export function useCardLabels(root: () => HTMLElement | null, deps: unknown[]): void {
  useEffect(() => {
    const el = root();
    if (!el) return;
    const label = () => {
      for (const table of el.querySelectorAll('table')) {
        const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
        for (const row of table.querySelectorAll('tbody tr')) {
          let col = 0;
          for (const cell of row.children) {
            const name = heads[col] ?? '';
            if (name && cell.getAttribute('data-label') !== name) cell.setAttribute('data-label', name);
            col += (cell as HTMLTableCellElement).colSpan || 1;
          }
        }
      }
    };
    label();
    // Attribute writes are not child-list changes: labelling never wakes the observer again.
    const observer = new MutationObserver(label);
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, deps);
}
