import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { ChevronDownIcon } from '../ui/icons.js';
import { useApp } from './app-context.js';

const HOUR_MS = 3_600_000;
/** What a timed pause offers: long enough for a meeting or a night on a metered link. */
const CHOICES: ReadonlyArray<{ label: string; durationMs: number }> = [
  { label: 'Pause all for 1 hour', durationMs: HOUR_MS },
  { label: 'Pause all for 8 hours', durationMs: 8 * HOUR_MS },
];

/**
 * "Pause for…": a menu button (ARIA menu pattern) whose items pause everything for a while; Resume all ends it early.
 * Arrow keys move between items, Escape closes and gives focus back to the button.
 */
export function PauseForMenu({ disabled }: { disabled: boolean }) {
  const { actions } = useApp();
  const [isOpen, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const itemRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const rootRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (isOpen) itemRefs.current[active]?.focus();
  }, [isOpen, active]);

  useEffect(() => {
    if (!isOpen) return;
    const onPointer = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [isOpen]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };
  const open = (index: number) => {
    setActive(index);
    setOpen(true);
  };
  const choose = (durationMs: number) => {
    close();
    void actions.run('Could not pause', () => actions.bridge.pauseAllFor(durationMs));
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const last = CHOICES.length - 1;
    const moves: Record<string, number> = { ArrowDown: active === last ? 0 : active + 1, ArrowUp: active === 0 ? last : active - 1, Home: 0, End: last };
    if (event.key in moves) {
      event.preventDefault();
      setActive(moves[event.key]!);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <div className="menu-root" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="button button-menu"
        id={`${id}-button`}
        aria-label="Pause for…"
        title="Pause for a while"

        aria-haspopup="menu"
        aria-expanded={isOpen}
        aria-controls={isOpen ? `${id}-menu` : undefined}
        disabled={disabled}
        onClick={() => (isOpen ? setOpen(false) : open(0))}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            open(event.key === 'ArrowDown' ? 0 : CHOICES.length - 1);
          }
        }}
      >
        <ChevronDownIcon />
      </button>
      {isOpen ? (
        <div className="menu" role="menu" id={`${id}-menu`} aria-labelledby={`${id}-button`} onKeyDown={onMenuKey}>
          {CHOICES.map((choice, index) => (
            <button
              key={choice.durationMs}
              ref={(el) => {
                itemRefs.current[index] = el;
              }}
              type="button"
              role="menuitem"
              className="menu-item"
              tabIndex={index === active ? 0 : -1}
              onClick={() => choose(choice.durationMs)}
            >
              {choice.label}
            </button>
          ))}
          <p className="menu-note">Resume all ends it early.</p>
        </div>
      ) : null}
    </div>
  );
}
