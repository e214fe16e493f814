import type { ComponentChildren } from 'preact';

/**
 * A table that scrolls sideways when the screen is narrower than it (a phone): the scrolling box
 * takes the focus, so it can be scrolled with the arrow keys too, and is named for that.
 */
export function ScrollTable({
  label,
  class: className,
  children,
}: {
  label: string;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`table-scroll${className ? ` ${className}` : ''}`} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
