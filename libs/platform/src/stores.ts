import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from './logger';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connects with the official driver; works against MongoDB and FerretDB (INFRA_NOTES). */
export async function connectMongo(url: string, dbName: string, logger: Logger): Promise<MongoHandle> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, appName: dbName });
  await client.connect();
  const db = client.db(dbName);
  logger.info({ db: dbName }, 'connected to MongoDB');
  return {
    client,
    db,
    ping: async () => {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}

export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 3, enableReadyCheck: true, lazyConnect: false });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  return redis;
}
