import type { DeviceRecord, UserRecord } from './types.js';

/** A device that can ring and be offered customers now: connected, and not going away. */
export const isPresent = (device: DeviceRecord): boolean => device.connected && device.leaving !== true;

/** Whether any device of the user can ring now. */
export const present = (user: UserRecord | undefined): boolean => user?.devices.some(isPresent) === true;

export const deviceBySession = (user: UserRecord | undefined, sessionId: string): DeviceRecord | undefined =>
  user?.devices.find((device) => device.sessionId === sessionId);

export const deviceById = (user: UserRecord | undefined, deviceId: string | undefined): DeviceRecord | undefined =>
  deviceId === undefined ? undefined : user?.devices.find((device) => device.deviceId === deviceId);

/** The user with `device` in place of its device of the same id (or added, when new). */
export function withDevice(user: UserRecord, device: DeviceRecord): UserRecord {
  const index = user.devices.findIndex((d) => d.deviceId === device.deviceId);
  const devices = index < 0 ? [...user.devices, device] : user.devices.map((d, i) => (i === index ? device : d));
  return { ...user, devices };
}

export function withoutDevice(user: UserRecord, deviceId: string): UserRecord {
  return { ...user, devices: user.devices.filter((d) => d.deviceId !== deviceId) };
}

/** The latest grace deadline among the user's devices that are away (0 when none is). */
export const latestGrace = (user: UserRecord | undefined): number => Math.max(0, ...(user?.devices ?? []).map((d) => (isPresent(d) ? 0 : d.graceDeadline)));
