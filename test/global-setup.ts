import { buildIfNeeded } from '../scripts/build.js';

/** The process tests spawn the real `parley` bin, which runs dist/: build it once, up front. */
export default function setup(): void {
  buildIfNeeded();
}
