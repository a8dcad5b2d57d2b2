import { ensureBuilt } from './build';

/** One build before any test file starts, so parallel test files never build at once. */
export default function setup(): void {
  ensureBuilt();
}
