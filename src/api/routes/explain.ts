// GET /explain?proto=&src=&dst=: which service, session, template, server,
// LIP:lport, method and egress a client's packet would get now, and why
// (src/lb/explain.ts). A dry run on the owning worker: nothing changes.
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../errors';
import type { ExplainParams } from '../context';
import { explain } from '../../lb/explain';
import { parseEndpointKey } from '../../config/keys';
import * as S from '../schemas';

export const explainRoutes: FastifyPluginAsync = async (api) => {
  api.get<{ Querystring: ExplainParams }>('/explain', {
    schema: { querystring: S.explainQuery, response: { 200: S.explainResponse, ...S.errs(400, 501, 503) } },
  }, async (req) => {
    const src = parseEndpointKey(req.query.src);
    const dst = parseEndpointKey(req.query.dst);
    if (!src || !dst) throw new HttpError(400, 'query.src and query.dst must be address:port');
    if (src.port === 0) throw new HttpError(400, 'query.src: a client port is 1-65535');
    if (dst.port === 0) throw new HttpError(400, 'query.dst: a destination port is 1-65535');
    const appliance = api.appliance;
    if (!appliance.explain) throw new HttpError(501, 'explain is not implemented by this dataplane');
    const query = { protocol: req.query.proto, client: { ip: src.address, port: src.port }, destination: { ip: dst.address, port: dst.port } };
    const f = appliance.explain.bind(appliance);
    const { native, names } = api.dataplane(() => f(query));
    return explain({ query, native, names, effective: api.writer.published(), desired: api.writer.current(), health: api.health?.snapshot() });
  });
};
