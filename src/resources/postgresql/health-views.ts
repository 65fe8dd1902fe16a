/**
 * The health views of every running postgresql resource, from the resources subsystem's
 * drivers (Resources.drivers()): what the composition root passes to healthRoutes().
 */
import type { ResourceDriver } from '../resource.js';
import { PostgresqlDriver } from './driver.js';
import type { PostgresqlHealthView } from './health.js';

export function postgresqlHealthViews(drivers: ReadonlyArray<{ readonly kind: string; readonly driver: ResourceDriver }>): PostgresqlHealthView[] {
  return drivers.flatMap(({ driver }) => (driver instanceof PostgresqlDriver ? [driver.health()] : []));
}
