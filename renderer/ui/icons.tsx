import type { ReactNode } from 'react';

/**
 * Line icons on a 16 px grid, drawn in the text colour. Always decorative: the words carry the meaning. How they are
 * drawn (no fill, a 1.5 px round stroke) is in base.css, not in attributes: a queue row mounts several of them while
 * scrolling, and every attribute is one more DOM call.
 */
function Icon({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true" style={size === 16 ? undefined : { width: size, height: size }}>
      {children}
    </svg>
  );
}

export const QueueIcon = () => (
  <Icon>
    <path d="M8 10.5V2.5M5 5.5l3-3 3 3M3 10v2.5h10V10" />
  </Icon>
);
export const AttentionIcon = () => (
  <Icon>
    <path d="M8 1.8 14.6 13.5H1.4Z" />
    <path d="M8 6.2v3.2M8 11.6v.1" />
  </Icon>
);
export const CloudIcon = () => (
  <Icon>
    <path d="M4.5 12.5a3 3 0 0 1-.4-6A4 4 0 0 1 11.8 6a2.9 2.9 0 0 1-.3 6.5Z" />
  </Icon>
);
export const FolderIcon = () => (
  <Icon>
    <path d="M1.8 4.2v8.3h12.4V5.5H7.6L6.2 3.5H2.5a.7.7 0 0 0-.7.7Z" />
  </Icon>
);
export const GearIcon = () => (
  <Icon>
    <circle cx="8" cy="8" r="2.2" />
    <path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4" />
  </Icon>
);
export const PauseIcon = () => (
  <Icon>
    <path d="M5.5 3.5v9M10.5 3.5v9" />
  </Icon>
);
export const PlayIcon = () => (
  <Icon>
    <path d="M5 3.2v9.6L12.5 8Z" />
  </Icon>
);
export const CloseIcon = () => (
  <Icon>
    <path d="M4 4l8 8M12 4l-8 8" />
  </Icon>
);
export const RetryIcon = () => (
  <Icon>
    <path d="M13 8a5 5 0 1 1-1.5-3.6M13 2.5v2.8h-2.8" />
  </Icon>
);
export const ChevronIcon = () => (
  <Icon>
    <path d="M6 3.5 10.5 8 6 12.5" />
  </Icon>
);
export const PlusIcon = () => (
  <Icon>
    <path d="M8 3v10M3 8h10" />
  </Icon>
);
export const LinkIcon = () => (
  <Icon>
    <path d="M6.5 9.5l3-3M7 4.5l1-1a2.5 2.5 0 0 1 3.5 3.5l-1 1M9 11.5l-1 1a2.5 2.5 0 0 1-3.5-3.5l1-1" />
  </Icon>
);
export const ExternalIcon = () => (
  <Icon>
    <path d="M9.5 2.5h4v4M13.5 2.5 7.5 8.5M11.5 9.5v3.5h-9v-9H6" />
  </Icon>
);
export const CopyIcon = () => (
  <Icon>
    <rect x="5.5" y="5.5" width="8" height="8" rx="1.2" />
    <path d="M10.5 3.5v-1h-8v8h1" />
  </Icon>
);
export const UploadCloudIcon = ({ size = 48 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M4.5 12.5a3 3 0 0 1-.4-6A4 4 0 0 1 11.8 6a2.9 2.9 0 0 1-.3 6.5" strokeWidth="0.9" />
    <path d="M8 14V8.2M6 10l2-2 2 2" strokeWidth="0.9" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon>
    <path d="M3 8.5 6.5 12 13 4.5" />
  </Icon>
);
export const DotsIcon = () => (
  <Icon>
    <path d="M3.5 8h.1M8 8h.1M12.5 8h.1" strokeWidth="2.2" />
  </Icon>
);
export const TrashIcon = () => (
  <Icon>
    <path d="M2.5 4.5h11M6 4.5V3h4v1.5M4 4.5l.7 9h6.6l.7-9" />
  </Icon>
);
export const ChevronDownIcon = () => (
  <Icon>
    <path d="M4 6l4 4 4-4" />
  </Icon>
);
