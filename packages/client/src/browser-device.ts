import { randomDeviceId, type DevicePlatform, type DeviceStorage } from './device-memory.js';

const DEVICE_KEY = 'callgate.device';
/** Set while a page of this tab runs; a page that finds it set was copied from a live tab. */
const LIVE_KEY = 'callgate.live';

let tabDevice: string | null = null;

/**
 * Browsers: a device is a tab. Its id lives in the tab's sessionStorage, so that a reload (or a
 * navigation and back) is the same device; a tab duplicated from a live one, which gets a copy
 * of that sessionStorage, is another device. Where sessionStorage cannot be used, every page
 * load is a device of its own.
 */
export function browserDevicePlatform(): DevicePlatform {
  const storage = sessionStorageOrNull();
  return {
    storage,
    defaultDeviceId: () => (tabDevice ??= tabDeviceId(storage)),
    watchPage: (hidden) => {
      const onPageHide = (event: PageTransitionEvent): void => hidden(event.persisted);
      addEventListener('pagehide', onPageHide);
      return () => removeEventListener('pagehide', onPageHide);
    },
  };
}

function tabDeviceId(storage: DeviceStorage | null): string {
  if (!storage) return randomDeviceId();
  try {
    const copied = storage.getItem(LIVE_KEY) !== null;
    let id = copied ? null : storage.getItem(DEVICE_KEY);
    if (!id) storage.setItem(DEVICE_KEY, (id = randomDeviceId()));
    storage.setItem(LIVE_KEY, '1');
    addEventListener('pagehide', () => storage.removeItem(LIVE_KEY));
    addEventListener('pageshow', (event) => event.persisted && storage.setItem(LIVE_KEY, '1'));
    return id;
  } catch {
    return randomDeviceId();
  }
}

function sessionStorageOrNull(): DeviceStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // e.g. storage disabled for the page
  }
}
