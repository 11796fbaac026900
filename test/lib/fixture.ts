/** The store most end-to-end tests start from: a fresh store on one driver and a busybox rootfs tar. */
import { rmSync } from 'node:fs';
import { busyboxRootfs, tarOf } from './rootfs.js';
import { testStore, type TestStore } from './strata.js';

export interface BusyboxFixture {
  s: TestStore;
  rootfs: string;
  tar: Buffer;
  cleanup(): void;
}

export function busyboxFixture(driver: string): BusyboxFixture {
  const s = testStore(driver);
  const rootfs = busyboxRootfs();
  return {
    s, rootfs, tar: tarOf(rootfs),
    cleanup() {
      s.cleanup();
      rmSync(rootfs, { recursive: true, force: true });
    },
  };
}
