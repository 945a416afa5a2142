// GET/PUT /config: the whole applied config.
import type { FastifyPluginAsync } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import * as S from '../schemas';

export const configRoutes: FastifyPluginAsync = async (api) => {
  // desired: what the operator set (persisted, what PUT replaces);
  // effective: what the dataplane runs now (health checks drop DOWN servers
  // or zero them with inhibitOnFailure, a sorry server stands in).
  api.get<{ Querystring: FromSchema<typeof S.configQuery, { keepDefaultedPropertiesOptional: false }> }>('/config', {
    schema: { summary: 'the applied config: desired (default) or effective', querystring: S.configQuery, response: { 200: S.configResponse, ...S.errs() } },
  }, async (req) => (req.query.view === 'effective' ? api.writer.published() : api.writer.current()));

  api.put<{ Body: unknown }>('/config', {
    schema: { summary: 'replace the whole config', body: S.configBody, response: { 200: S.configResponse, ...S.errs(422, 500) } },
  }, async (req) => api.writer.apply(req.body, 'api: PUT /config'));
};
