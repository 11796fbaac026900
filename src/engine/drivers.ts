/** The storage drivers a store can use, by name, for front ends to offer before any store is opened. */
export { DRIVER_NAMES, type DriverName } from '../snapshots/registry.js';
