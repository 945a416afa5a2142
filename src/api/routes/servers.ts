// /services/:id/servers: a service's real servers (ipvsadm -a/-e/-d), and
// drain (quiesce: ipvsadm -e -w 0).
import type { FastifyPluginAsync } from 'fastify';
import type { FulcrumConfig, ServerConfig } from '../../config/types';
import { endpointKey } from '../../config/keys';
import { badParam, conflict, notFound } from '../errors';
import { findService, serverIdOf, serviceIdOf, type ServerParams, type ServiceParams } from '../context';
import { serverView } from '../views';
import * as S from '../schemas';

/** Where server `server` of service `id` is in d, or 404. */
function withServer(d: FulcrumConfig, id: string, server: string): { si: number; ri: number } {
  const si = findService(d, serviceIdOf(id));
  if (si < 0) throw notFound(`service ${id}`);
  const rid = serverIdOf(server);
  const ri = d.services[si]!.servers.findIndex((r) => r.address === rid.address && r.port === rid.port);
  if (ri < 0) throw notFound(`server ${server} in service ${id}`);
  return { si, ri };
}

export const serversRoutes: FastifyPluginAsync = async (api) => {
  api.get<{ Params: ServiceParams }>('/services/:id/servers', {
    schema: { params: S.serviceParams, response: { 200: { type: 'array', items: S.serverResponse }, ...S.errs(404) } },
  }, async (req) => {
    const { id } = req.params;
    const cfg = api.writer.current();
    const i = findService(cfg, serviceIdOf(id));
    if (i < 0) throw notFound(`service ${id}`);
    return cfg.services[i]!.servers.map(serverView);
  });

  api.post<{ Params: ServiceParams; Body: ServerConfig }>('/services/:id/servers', {
    schema: { params: S.serviceParams, body: S.serverBody, response: { 201: S.serverResponse, ...S.errs(404, 409, 422, 500) } },
  }, async (req, reply) => {
    const { id } = req.params;
    const sid = serviceIdOf(id);
    const body = req.body;
    let si = -1;
    let ri = -1;
    const cfg = await api.change((d) => {
      si = findService(d, sid);
      if (si < 0) throw notFound(`service ${id}`);
      const servers = d.services[si]!.servers;
      if (servers.some((r) => r.address === body.address && r.port === body.port)) {
        throw conflict(`server ${endpointKey(body)} in service ${id}`);
      }
      ri = servers.push(structuredClone(body)) - 1;
      return `services[${si}].servers[${ri}]`;
    }, `api: add server ${endpointKey(body)} to ${id}`);
    return reply.code(201).send(serverView(cfg.services[si]!.servers[ri]!));
  });

  api.get<{ Params: ServerParams }>('/services/:id/servers/:server', {
    schema: { params: S.serverParams, response: { 200: S.serverResponse, ...S.errs(404) } },
  }, async (req) => {
    const { id, server } = req.params;
    const cfg = api.writer.current();
    const { si, ri } = withServer(cfg, id, server);
    return serverView(cfg.services[si]!.servers[ri]!);
  });

  api.put<{ Params: ServerParams; Body: Partial<ServerConfig> }>('/services/:id/servers/:server', {
    schema: { params: S.serverParams, body: S.serverPutBody, response: { 200: S.serverResponse, ...S.errs(404, 422, 500) } },
  }, async (req) => {
    const { id, server } = req.params;
    const rid = serverIdOf(server);
    const body = req.body;
    for (const k of ['address', 'port'] as const) {
      if (body[k] !== undefined && body[k] !== rid[k]) {
        throw badParam(k, `must match the server id in the URL (${JSON.stringify(rid[k])})`);
      }
    }
    let at = { si: -1, ri: -1 };
    const cfg = await api.change((d) => {
      at = withServer(d, id, server);
      d.services[at.si]!.servers[at.ri] = { ...structuredClone(body), ...rid } as ServerConfig;
      return `services[${at.si}].servers[${at.ri}]`;
    }, `api: replace server ${server} in ${id}`);
    return serverView(cfg.services[at.si]!.servers[at.ri]!);
  });

  api.patch<{ Params: ServerParams; Body: Partial<ServerConfig> }>('/services/:id/servers/:server', {
    schema: { params: S.serverParams, body: S.serverPatchBody, response: { 200: S.serverResponse, ...S.errs(404, 422, 500) } },
  }, async (req) => {
    const { id, server } = req.params;
    const body = req.body;
    let at = { si: -1, ri: -1 };
    const cfg = await api.change((d) => {
      at = withServer(d, id, server);
      Object.assign(d.services[at.si]!.servers[at.ri]!, body);
      return `services[${at.si}].servers[${at.ri}]`;
    }, `api: update server ${server} in ${id}: ${JSON.stringify(body)}`);
    return serverView(cfg.services[at.si]!.servers[at.ri]!);
  });

  api.delete<{ Params: ServerParams }>('/services/:id/servers/:server', {
    schema: { params: S.serverParams, response: { 204: { type: 'null' }, ...S.errs(404, 422, 500) } },
  }, async (req, reply) => {
    const { id, server } = req.params;
    await api.change((d) => {
      const { si, ri } = withServer(d, id, server);
      d.services[si]!.servers.splice(ri, 1);
    }, `api: delete server ${server} from ${id}`);
    return reply.code(204).send();
  });

  // Quiesce (ipvsadm -e -w 0): no new connections; existing sessions keep
  // their server until they end.
  api.post<{ Params: ServerParams }>('/services/:id/servers/:server/drain', {
    schema: { params: S.serverParams, response: { 200: S.serverResponse, ...S.errs(404, 422, 500) } },
  }, async (req) => {
    const { id, server } = req.params;
    let at = { si: -1, ri: -1 };
    const cfg = await api.change((d) => {
      at = withServer(d, id, server);
      d.services[at.si]!.servers[at.ri]!.weight = 0;
      return `services[${at.si}].servers[${at.ri}]`;
    }, `api: drain server ${server} in ${id}`);
    return serverView(cfg.services[at.si]!.servers[at.ri]!);
  });
};
