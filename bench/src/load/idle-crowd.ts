import { connectAll, mintUsers, type ConnectOutcome } from './connect-all.js';
import type { WireUser } from './wire-user.js';

/** Authenticated users who connect and then do nothing: the connections-per-node workload. */
export class IdleCrowd {
  private constructor(
    private readonly users: WireUser[],
    private readonly urls: string[],
    private readonly localAddress: string | undefined,
  ) {}

  /** Mints the tokens first, so that connecting measures only the server. */
  static async prepare(options: {
    urls: string[];
    secret: string;
    count: number;
    prefix: string;
    localAddress?: string;
  }): Promise<IdleCrowd> {
    const ids = Array.from({ length: options.count }, (_, i) => `${options.prefix}${i}`);
    return new IdleCrowd(await mintUsers(options.secret, ids), options.urls, options.localAddress);
  }

  connect(concurrency: number): Promise<ConnectOutcome> {
    return connectAll(this.users, (i) => this.urls[i % this.urls.length]!, concurrency, () => this.localAddress);
  }

  close(): void {
    for (const user of this.users) user.close();
  }
}
