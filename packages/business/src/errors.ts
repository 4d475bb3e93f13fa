import { ErrorCode, errorCodeName, errorMessage } from '@callgate/protocol';

/** Every error the business SDK reports: a Callgate error code, its stable name and a message. */
export class BusinessError extends Error {
  override readonly name = 'BusinessError';
  /** The code's stable name (e.g. "UNAUTHORIZED"), or "APPLICATION" for an application's own code. */
  readonly codeName: string;

  constructor(
    readonly code: number,
    message: string = errorMessage(code),
  ) {
    super(message);
    this.codeName = errorCodeName(code) ?? 'APPLICATION';
  }
}

export const notConnected = (message?: string): BusinessError => new BusinessError(ErrorCode.NOT_CONNECTED, message);
