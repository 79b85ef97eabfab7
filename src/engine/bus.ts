import { EventEmitter } from 'node:events';
import type { StoredEvent } from '../store/events.js';

export interface BusMessages {
  /** Events appended (after their transaction committed). Trigger matching and segments subscribe here. */
  events: StoredEvent[];
  /** Ids of profiles created, changed or erased (after commit). Segment membership subscribes here. */
  profiles: string[];
  /** Ids of profiles whose orders were written, changed status or were refunded (after commit). Segment membership subscribes here. */
  orders: string[];
  /** Ids of profiles whose loyalty membership or points changed without a ledger event, e.g. a join or a transaction rolled back (after commit). */
  ledger: string[];
}

/** The in-process bus later engines subscribe to. Publishing never throws into the publisher. */
export class Bus {
  private emitter = new EventEmitter();
  constructor(private onError: (err: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(0);
  }
  on<K extends keyof BusMessages>(topic: K, handler: (msg: BusMessages[K]) => void | Promise<void>): () => void {
    const wrapped = (msg: BusMessages[K]) => {
      try {
        const r = handler(msg);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    };
    this.emitter.on(topic, wrapped);
    return () => this.emitter.off(topic, wrapped);
  }
  publish<K extends keyof BusMessages>(topic: K, msg: BusMessages[K]): void {
    this.emitter.emit(topic, msg);
  }
}
