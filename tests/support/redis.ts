import net from "node:net";

// Tests that cross replicas need Redis: TEST_REDIS_URL, or the local server that development
// and CI machines run. On CI a missing Redis is a failure; elsewhere the tests are skipped with
// the reason printed.

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function redisUp(): Promise<boolean> {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const s = net.connect({ host: hostname, port: Number(port || 6379) });
    s.setTimeout(2000);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

/** Whether Redis tests can run; `what` names them in the skip message. */
export async function requireRedis(what = "Redis tests"): Promise<boolean> {
  if (await redisUp()) return true;
  if (process.env.CI) throw new Error(`Redis is not reachable at ${REDIS_URL}; start it or set TEST_REDIS_URL`);
  console.warn(`\n⚠ SKIPPING ${what}: Redis is not reachable at ${REDIS_URL} (set TEST_REDIS_URL)\n`);
  return false;
}
