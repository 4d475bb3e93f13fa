import { errorCodeName, errorMessage } from './codes.js';

/** Every error the SDKs report: a Callgate or seed error code, its stable name and a message. */
export class CallgateError extends Error {
  override readonly name: string = 'CallgateError';
  /** The code's stable name (e.g. "NOTINCALL"), or "APPLICATION" for an application's own code. */
  readonly codeName: string;

  constructor(
    readonly code: number,
    message: string = errorMessage(code),
  ) {
    super(message);
    this.codeName = errorCodeName(code) ?? 'APPLICATION';
  }
}

