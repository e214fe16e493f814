import type { ScreenProps } from '../screens.js';
import { BusinessDetail } from './admin/business.js';
import { Businesses } from './admin/businesses.js';
import { GlobalUsageSection } from './admin/global-usage.js';
import { System } from './admin/system.js';
import './admin/admin.css';

/** The operator's screens: every business (/admin) and one of them (/admin/<id>). Administrators only. */
export function Admin({ params }: ScreenProps) {
  const [id] = params;
  if (id) return <BusinessDetail key={id} id={id} />;
  return (
    <main class="screen admin">
      <h1>Admin</h1>
      <Businesses />
      <GlobalUsageSection />
      <System />
    </main>
  );
}
