// /health: the process (live), the dataplane (ready), and the real servers'
// health-check states.
import type { FastifyPluginAsync } from 'fastify';
import * as S from '../schemas';

export const healthRoutes: FastifyPluginAsync = async (api) => {
  api.get('/health/live', { schema: { response: { 200: S.healthResponse, ...S.errs() } } }, async () => ({ status: 'ok' }));

  api.get('/health/ready', { schema: { response: { 200: S.healthResponse, 503: S.healthResponse, 401: S.errorResponse } } },
    async (_req, reply) => (api.appliance.running ? { status: 'ready' } : reply.code(503).send({ status: 'dataplane not running' })));

  api.get('/health/servers', {
    schema: { summary: 'real-server health-check states', response: { 200: S.healthServersResponse, ...S.errs() } },
  }, async () => api.health?.snapshot() ?? []);
};
