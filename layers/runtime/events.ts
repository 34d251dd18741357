/**
 * Domain events: what one capability announces and others react to (the registry's alias moves
 * start the deployment pipeline, for instance).
 *
 * One port, two implementations. In AWS, events go to EventBridge (`PutEvents`), whose rules route
 * them to their subscribers. On the local platform every function runs in one process, so events go
 * to an in-process bus that subscribers in the same process listen on. A publisher resolves only
 * once the event is accepted (EventBridge acknowledged it, or every local subscriber has run), and
 * rejects when it was not, so that a caller never reports a change as announced when it was not.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { clientConfig } from './aws-clients.ts';
import type { RuntimeConfig } from './config.ts';

/** One domain event, in EventBridge's terms. */
export interface DomainEvent {
  /** Who announces it, e.g. `mlops.registry`. */
  readonly source: string;
  /** What happened, e.g. `alias.set`. */
  readonly detailType: string;
  /** The event's JSON-serialisable body. */
  readonly detail: Readonly<Record<string, unknown>>;
  /** Resources the event is about (ARNs or names). @default [] */
  readonly resources?: readonly string[];
}

/** Announces events. `publish` resolves once every event is accepted and rejects otherwise. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

export type EventListener = (event: DomainEvent) => void | Promise<void>;

/** Thrown when EventBridge refused some entries of a batch. */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
}

/**
 * The local stand-in for an event bus: subscribers register a listener for a source (and
 * optionally a detail type) and are called in registration order, awaited one after the other.
 */
export class InProcessEventBus implements EventPublisher {
  readonly #listeners: { source: string; detailType?: string; listener: EventListener }[] = [];

  /** Registers a listener; the returned function unsubscribes it. */
  subscribe(source: string, listener: EventListener, detailType?: string): () => void {
    const entry = { source, listener, ...(detailType === undefined ? {} : { detailType }) };
    this.#listeners.push(entry);
    return () => {
      const index = this.#listeners.indexOf(entry);
      if (index !== -1) this.#listeners.splice(index, 1);
    };
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      for (const entry of [...this.#listeners]) {
        if (entry.source !== event.source) continue;
        if (entry.detailType !== undefined && entry.detailType !== event.detailType) continue;
        await entry.listener(event);
      }
    }
  }
}

/** The process-wide bus of the local platform: every function of one process shares it. */
export const localEventBus = new InProcessEventBus();

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

/** Publishes to an EventBridge bus. */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(client: EventBridgeClient, busName = 'default') {
    this.#client = client;
    this.#busName = busName;
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      const batch = events.slice(start, start + PUT_EVENTS_BATCH);
      const result = await this.#client.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({
            EventBusName: this.#busName,
            Source: event.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            Resources: [...(event.resources ?? [])],
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failed = (result.Entries ?? []).find((entry) => entry.ErrorCode);
        throw new EventPublishError(
          `EventBridge refused ${result.FailedEntryCount} of ${batch.length} events` +
            (failed ? ` (${failed.ErrorCode}: ${failed.ErrorMessage})` : ''),
        );
      }
    }
  }
}

/**
 * The publisher for a deployment: the in-process bus on the local platform (stage `local` without an
 * EventBridge endpoint), EventBridge otherwise, on the bus named by `MLOPS_EVENT_BUS_NAME`.
 */
export function createEventPublisher(config: RuntimeConfig, busName?: string): EventPublisher {
  if (config.stage === 'local' && config.endpoints.eventbridge === undefined) return localEventBus;
  return new EventBridgePublisher(new EventBridgeClient(clientConfig(config, 'eventbridge')), busName);
}
