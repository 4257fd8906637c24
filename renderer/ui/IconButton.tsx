import type { ReactNode } from 'react';

interface IconButtonProps {
  /** The accessible name: a verb and its object ("Pause film.mov"). */
  label: string;
  /** The short word shown on hover and focus ("Pause"). */
  tip: string;
  icon: ReactNode;
  onClick: () => void;
}

/** A compact button whose word appears on hover and keyboard focus (drawn by CSS from data-tip). */
export function IconButton({ label, tip, icon, onClick }: IconButtonProps) {
  return (
    <button type="button" className="icon-button" aria-label={label} data-tip={tip} onClick={onClick}>
      {icon}
    </button>
  );
}
