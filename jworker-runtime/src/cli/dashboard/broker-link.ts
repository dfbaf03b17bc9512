import { type CliBroker, type CliSettings, openBroker } from '../broker.js';

/**
 * The dashboard's one connection to RabbitMQ, opened on first use and opened again on the next use after it closed
 * (a broker restart, a network cut): a long-running server must outlive them, unlike a one-shot CLI command.
 */
export class BrokerLink {
  readonly #settings: CliSettings;
  #broker: Promise<CliBroker> | undefined;
  #closed = false;

  constructor(settings: CliSettings) {
    this.#settings = settings;
  }

  /** The open connection. @throws CliError (exit 4) when the broker cannot be reached now. */
  get(): Promise<CliBroker> {
    if (this.#closed) return Promise.reject(new Error('the dashboard is stopping'));
    if (this.#broker) return this.#broker;
    const opening = openBroker(this.#settings).then((broker) => {
      broker.connection.on('close', () => {
        if (this.#broker === opening) this.#broker = undefined;
      });
      return broker;
    });
    opening.catch(() => {
      if (this.#broker === opening) this.#broker = undefined;
    });
    this.#broker = opening;
    return opening;
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const broker = await this.#broker?.catch(() => undefined);
    this.#broker = undefined;
    await broker?.close();
  }
}
