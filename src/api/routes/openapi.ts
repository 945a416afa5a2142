// GET /openapi.json: the OpenAPI document @fastify/swagger builds from the
// routes' own schemas (server.ts registers it).
import type { FastifyPluginAsync } from 'fastify';
import * as S from '../schemas';

export const openapiRoutes: FastifyPluginAsync = async (api) => {
  api.get('/openapi.json', { schema: { response: { 200: S.openapiResponse, ...S.errs() } } },
    async () => api.swagger());
};
