import './reports.css';

/** A row of headline figures: a description list, each figure a tile. */
export function Figures({ items, label }: { items: [string, string][]; label?: string }) {
  return (
    <dl class="figures" aria-label={label}>
      {items.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
