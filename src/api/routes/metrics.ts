// GET /metrics: Prometheus text exposition, outside /api/v1 and outside the
// OpenAPI document (it is not JSON); the token rule applies as to every route.
import type { FastifyPluginAsync } from 'fastify';

export const metricsRoutes: FastifyPluginAsync = async (api) => {
  const registry = api.metricsRegistry;
  if (!registry) return;
  api.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
};
