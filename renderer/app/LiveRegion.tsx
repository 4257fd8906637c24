import { useAppState } from './app-context.js';

/** Polite announcements of finished and failed uploads (batched by the store when many end at once). */
export function LiveRegion() {
  const announcement = useAppState((s) => s.announcement);
  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {/* Keyed so the same words said twice are announced twice. */}
      <span key={announcement.seq}>{announcement.text}</span>
    </div>
  );
}
