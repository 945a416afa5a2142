// GET /sessions: the workers' session tables (ipvsadm -Lnc), a page at a time.
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors';
import { serverIdOf, serviceIdOf, type SessionQuery } from '../context';
import * as S from '../schemas';

export const sessionsRoutes: FastifyPluginAsync = async (api) => {
  api.get<{ Querystring: SessionQuery }>('/sessions', {
    schema: { querystring: S.sessionsQuery, response: { 200: S.sessionsResponse, ...S.errs(501, 503) } },
  }, async (req) => {
    const q = req.query;
    if (q.service !== undefined) serviceIdOf(q.service, 'query.service');
    if (q.server !== undefined) serverIdOf(q.server, 'query.server');
    const appliance = api.appliance;
    if (!appliance.sessions) throw new HttpError(501, 'session listing is not implemented by the dataplane yet');
    const f = appliance.sessions.bind(appliance);
    return api.dataplane(() => f(q));
  });
};
