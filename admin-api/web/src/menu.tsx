import { useEffect, useId, useRef, useState } from 'preact/hooks';

/** One entry of a {@link RowMenu}: a link (`href`) or an action (`onSelect`). */
export interface MenuItem {
  label: string;
  href?: string;
  /** The link downloads its target. */
  download?: boolean;
  onSelect?: () => void;
  danger?: boolean;
}

/**
 * A row's actions behind one button (WAI-ARIA menu button pattern): Enter, Space or ArrowDown open
 * the menu on its first item, ArrowUp on its last; arrows, Home and End move between items; Escape
 * closes it and gives focus back to the button; Tab or a click elsewhere closes it.
 */
export function RowMenu({ label, items }: { label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const refs = useRef<(HTMLElement | null)[]>([]);
  const focusItem = (i: number) => refs.current[(i + items.length) % items.length]?.focus();
  const openAt = (i: number) => {
    setOpen(true);
    // The items exist once the menu is rendered: focus on the next frame.
    requestAnimationFrame(() => focusItem(i));
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    const outside = (e: Event) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const onMenuKey = (e: KeyboardEvent) => {
    const at = refs.current.indexOf(document.activeElement as HTMLElement);
    const keys: Record<string, () => void> = {
      ArrowDown: () => focusItem(at + 1),
      ArrowUp: () => focusItem(at - 1),
      Home: () => focusItem(0),
      End: () => focusItem(items.length - 1),
      Escape: () => close(true),
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    } else if (e.key === 'Tab') setOpen(false);
  };
  const chosen = (item: MenuItem) => {
    setOpen(false);
    item.onSelect?.();
  };
  return (
    <div class="menu" ref={wrap}>
      <button
        ref={button}
        type="button"
        class="small"
        id={`${id}-button`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        aria-label={label}
        onClick={() => (open ? setOpen(false) : openAt(0))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            openAt(e.key === 'ArrowDown' ? 0 : items.length - 1);
          } else if (e.key === 'Escape' && open) close(true);
        }}
      >
        Actions <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <ul role="menu" id={`${id}-menu`} aria-labelledby={`${id}-button`} onKeyDown={onMenuKey}>
          {items.map((item, i) => {
            const ref = (el: HTMLElement | null) => {
              refs.current[i] = el;
            };
            const cls = item.danger ? 'danger' : undefined;
            return (
              <li key={item.label} role="none">
                {item.href ? (
                  <a
                    ref={ref}
                    role="menuitem"
                    tabIndex={-1}
                    class={cls}
                    href={item.href}
                    download={item.download}
                    onClick={() => chosen(item)}
                  >
                    {item.label}
                  </a>
                ) : (
                  <button
                    ref={ref}
                    role="menuitem"
                    type="button"
                    tabIndex={-1}
                    class={cls}
                    onClick={() => chosen(item)}
                  >
                    {item.label}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
