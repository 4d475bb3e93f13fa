import { CallgateError, ErrorCode } from '@callgate/protocol';

/** Every error the business SDK reports: a Callgate error code, its stable name and a message. */
export class BusinessError extends CallgateError {
  override readonly name = 'BusinessError';
}

export const notConnected = (): BusinessError => new BusinessError(ErrorCode.NOT_CONNECTED);
