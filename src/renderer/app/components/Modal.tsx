import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'textarea:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[hidden]'));
}

export interface ModalProps {
  labelledBy: string;
  describedBy?: string;
  className?: string;
  /** Esc: the caller decides what closing means (it may only leave a sub-mode). */
  onEscape: () => void;
  /** Runs before the focus trap; call preventDefault to claim a key. */
  onKeyDown?: (event: KeyboardEvent<HTMLDivElement>) => void;
  children: ReactNode;
}

/**
 * A modal dialog that keeps the keyboard inside: focus moves to it on open, Tab and
 * Shift+Tab cycle through its controls, focus that escapes (a click on the page behind,
 * a script) is pulled back, and on close focus returns to where it was.
 */
export function Modal({ labelledBy, describedBy, className, onEscape, onKeyDown, children }: ModalProps) {
  const dialog = useRef<HTMLDivElement>(null);
  // Read while rendering the first time, before any effect (a child's included) moves focus.
  const [previous] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.contains(document.activeElement)) element.focus();
    const pullBack = (event: FocusEvent) => {
      if (event.target instanceof Node && !element.contains(event.target)) element.focus();
    };
    document.addEventListener('focusin', pullBack);
    return () => {
      document.removeEventListener('focusin', pullBack);
      if (previous?.isConnected) previous.focus();
    };
  }, [previous]);

  // Content that swaps (the next request, an outcome) can unmount the focused control; keep the keyboard here.
  useEffect(() => {
    const element = dialog.current;
    if (element && (document.activeElement === null || document.activeElement === document.body)) element.focus();
  });

  const handleKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    onKeyDown?.(event);
    if (event.defaultPrevented) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      onEscape();
      return;
    }
    if (event.key !== 'Tab' || !dialog.current) return;
    const items = focusables(dialog.current);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === dialog.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="modal-backdrop">
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-describedby={describedBy}
        tabIndex={-1}
        className={`modal ${className ?? ''}`}
        onKeyDown={handleKeyDown}
      >
        {children}
      </div>
    </div>
  );
}
