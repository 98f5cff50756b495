import type { Redis } from 'ioredis';
import type { TaskRecord } from '../../domain/task';
import type { Logger } from '../../logger';
import { InProcessTaskUpdateHub } from '../../services/TaskUpdateHub';
import { closeRedis, connectRedis } from './connection';
import { OutageNotice } from './OutageNotice';

export interface RedisTaskUpdateHubOptions {
  url: string;
  /** the instance's command connection (borrowed: the hub does not close it) */
  publisher: Redis;
  channel: string;
  /** tags this instance's messages, so it can recognise its own when Redis echoes them back */
  instanceId: string;
  log: Logger;
}

/** What goes over the channel. */
interface TaskUpdateMessage {
  origin: string;
  record: TaskRecord;
}

/**
 * Task changes for every instance's subscribers, over one Redis channel all instances share.
 *
 * Delivery: a change reaches this instance's own listeners at once, inside `publish`, and every other
 * instance's through Redis; each instance drops the echo of its own messages. So each listener hears each
 * change exactly once, and local subscribers keep hearing local changes while Redis is down. (Redis pub/sub
 * is at most once: another instance misses what is published while it is disconnected; the store still has it.)
 */
export class RedisTaskUpdateHub extends InProcessTaskUpdateHub {
  private readonly outage: OutageNotice;

  /** Opens the hub's own subscriber connection (a subscribed connection can do nothing else) and subscribes. */
  static async start(options: RedisTaskUpdateHubOptions): Promise<RedisTaskUpdateHub> {
    const subscriber = await connectRedis(options.url, 'subscriber', options.log);
    try {
      await subscriber.subscribe(options.channel);
    } catch (error) {
      await closeRedis(subscriber);
      throw error;
    }
    return new RedisTaskUpdateHub(subscriber, options);
  }

  private constructor(
    private readonly subscriber: Redis,
    private readonly options: RedisTaskUpdateHubOptions,
  ) {
    super();
    this.outage = new OutageNotice(options.log, 'task updates', "changes reach only this instance's subscribers");
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === options.channel) this.receive(text);
    });
  }

  /** false while the subscriber connection is down: other instances' changes are not arriving */
  get receiving(): boolean {
    return this.subscriber.status === 'ready';
  }

  override publish(record: TaskRecord): void {
    this.deliver(record);
    const message: TaskUpdateMessage = { origin: this.options.instanceId, record };
    this.options.publisher.publish(this.options.channel, JSON.stringify(message)).then(
      () => this.outage.ended(),
      (error: unknown) => this.outage.began(error),
    );
  }

  override async close(): Promise<void> {
    await super.close();
    await closeRedis(this.subscriber);
  }

  private receive(text: string): void {
    const message = parseMessage(text);
    if (message === null) {
      this.options.log.warn({ channel: this.options.channel }, 'ignored a message that is not a task update');
      return;
    }
    if (message.origin === this.options.instanceId) return;
    try {
      this.deliver(message.record);
    } catch (error) {
      // Thrown inside ioredis's message handler, it would disturb the connection every instance relies on.
      this.options.log.error({ err: error, taskId: message.record.id }, 'a task update listener failed');
    }
  }
}

/** null for anything but a task update (another program on the channel, or a different version of this one) */
function parseMessage(text: string): TaskUpdateMessage | null {
  try {
    const message = JSON.parse(text) as Partial<TaskUpdateMessage> | null;
    if (typeof message?.origin !== 'string' || typeof message.record?.id !== 'string') return null;
    return message as TaskUpdateMessage;
  } catch {
    return null;
  }
}
