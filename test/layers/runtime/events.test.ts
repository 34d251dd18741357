import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../../../layers/runtime/config.ts';
import {
  createEventPublisher,
  EventBridgePublisher,
  EventPublishError,
  InProcessEventBus,
  localEventBus,
} from '../../../layers/runtime/events.ts';

const eventBridge = mockClient(EventBridgeClient);

afterEach(() => {
  eventBridge.reset();
});

const event = (n: number) => ({
  source: 'mlops.registry',
  detailType: 'alias.set',
  detail: { model: 'm', alias: 'champion', after: String(n) },
  resources: ['m/1'],
});

describe('EventBridgePublisher', () => {
  it('puts events on the bus in batches of 10 with source, detail type and JSON detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'mlops-bus');
    await publisher.publish(Array.from({ length: 12 }, (_, i) => event(i)));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      EventBusName: 'mlops-bus',
      Source: 'mlops.registry',
      DetailType: 'alias.set',
      Detail: JSON.stringify({ model: 'm', alias: 'champion', after: '0' }),
      Resources: ['m/1'],
    });
  });

  it('throws EventPublishError naming the failure when EventBridge refuses an entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }));
    await expect(publisher.publish([event(1)])).rejects.toThrow(
      new EventPublishError('EventBridge refused 1 of 1 events (InternalFailure: try again)'),
    );
  });
});

describe('InProcessEventBus', () => {
  it('calls the listeners of the source and detail type, and no longer after unsubscribing', async () => {
    const bus = new InProcessEventBus();
    const seen: string[] = [];
    const stop = bus.subscribe('mlops.registry', (e) => {
      seen.push(`any:${e.detailType}`);
    });
    bus.subscribe(
      'mlops.registry',
      (e) => {
        seen.push(`alias:${e.detail.after}`);
      },
      'alias.set',
    );
    bus.subscribe('mlops.other', () => {
      seen.push('other');
    });
    await bus.publish([event(1), { ...event(2), detailType: 'version.created' }]);
    stop();
    await bus.publish([event(3)]);
    expect(seen).toEqual(['any:alias.set', 'alias:1', 'any:version.created', 'alias:3']);
  });
});

describe('createEventPublisher', () => {
  it('uses the in-process bus locally and EventBridge in AWS', () => {
    expect(createEventPublisher(loadRuntimeConfig({ MLOPS_STAGE: 'local' }))).toBe(localEventBus);
    expect(createEventPublisher(loadRuntimeConfig({ MLOPS_STAGE: 'prod' }))).toBeInstanceOf(
      EventBridgePublisher,
    );
  });
});
