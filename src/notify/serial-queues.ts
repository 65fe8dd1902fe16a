/**
 * One FIFO task queue per key: tasks of a key run one after another in the order they were
 * enqueued; different keys run independently. Used so an instance's hooks never overlap and a
 * later state's hook waits for the earlier one, while other instances are not held up.
 */

export type Task = () => Promise<void>;

export interface QueueOptions {
  /** Tasks waiting per key (not counting the running one) before the oldest waiting one is dropped. */
  maxWaiting: number;
  /** Told about each task dropped because its key had too many waiting. */
  onDrop?: (key: string, task: Task) => void;
}

interface KeyQueue {
  waiting: Task[];
  /** A drain is scheduled or in progress. */
  running: boolean;
  /** A task is executing right now. */
  active: boolean;
}

export class SerialQueues {
  private readonly queues = new Map<string, KeyQueue>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: QueueOptions) {}

  enqueue(key: string, task: Task): void {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { waiting: [], running: false, active: false };
      this.queues.set(key, queue);
    }
    queue.waiting.push(task);
    if (queue.waiting.length > this.options.maxWaiting) {
      const dropped = queue.waiting.shift() as Task;
      this.options.onDrop?.(key, dropped);
    }
    if (!queue.running) {
      queue.running = true;
      // Started on a later turn: the caller (a state change) finishes its own work first.
      setImmediate(() => void this.drain(key, queue as KeyQueue));
    }
  }

  /** Number of tasks running or waiting, over all keys. */
  get pending(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.waiting.length + (queue.active ? 1 : 0);
    return n;
  }

  /** Resolves once every queue is empty (at once if they already are). */
  idle(): Promise<void> {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops every waiting task (running ones finish); returns how many were dropped. */
  clearWaiting(): number {
    let n = 0;
    for (const queue of this.queues.values()) {
      n += queue.waiting.length;
      queue.waiting.length = 0;
    }
    return n;
  }

  private async drain(key: string, queue: KeyQueue): Promise<void> {
    for (let task = queue.waiting.shift(); task !== undefined; task = queue.waiting.shift()) {
      queue.active = true;
      try {
        await task();
      } catch {
        // Tasks report their own failures; one failing never stalls the queue.
      }
      queue.active = false;
    }
    queue.running = false;
    this.queues.delete(key);
    if (this.queues.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
