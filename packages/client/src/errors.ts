import { CallgateError, ErrorCode } from '@callgate/protocol';

export { CallgateError };

export const notConnected = (): CallgateError => new CallgateError(ErrorCode.NOT_CONNECTED);
