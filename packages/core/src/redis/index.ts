// Redis connections shared by recording and approvals: one server or a Redis Cluster, from a store URL.
export {
  describeRedisUrl,
  isClusterUrl,
  isRedisUrl,
  type ParsedRedisUrl,
  parseRedisUrl,
  type RedisClient,
  redisClient,
} from './client.js';
