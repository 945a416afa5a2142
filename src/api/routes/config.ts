// GET/PUT /config: the whole applied config.
import type { FastifyPluginAsync } from 'fastify';
import * as S from '../schemas';

export const configRoutes: FastifyPluginAsync = async (api) => {
  api.get('/config', { schema: { summary: 'the applied config', response: { 200: S.configResponse, ...S.errs() } } },
    async () => api.writer.current());

  api.put<{ Body: unknown }>('/config', {
    schema: { summary: 'replace the whole config', body: S.configBody, response: { 200: S.configResponse, ...S.errs(422, 500) } },
  }, async (req) => api.writer.apply(req.body, 'api: PUT /config'));
};
