// /services: virtual services (ipvsadm -A/-E/-D).
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceConfig } from '../../config/types';
import { serviceKey } from '../../config/keys';
import { badParam, conflict, notFound } from '../errors';
import { findService, serviceIdOf, type ServiceParams } from '../context';
import { serviceView } from '../views';
import * as S from '../schemas';

export const servicesRoutes: FastifyPluginAsync = async (api) => {
  api.get('/services', { schema: { response: { 200: { type: 'array', items: S.serviceResponse }, ...S.errs() } } },
    async () => api.writer.current().services.map(serviceView));

  api.post<{ Body: ServiceConfig }>('/services', {
    schema: { body: S.serviceBody, response: { 201: S.serviceResponse, ...S.errs(409, 422, 500) } },
  }, async (req, reply) => {
    const body = req.body;
    const key = serviceKey(body);
    let idx = -1;
    const cfg = await api.change((d) => {
      if (findService(d, body) >= 0) throw conflict(`service ${key}`);
      idx = d.services.push(structuredClone(body)) - 1;
      return `services[${idx}]`;
    }, `api: add service ${key}`);
    return reply.code(201).send(serviceView(cfg.services[idx]!));
  });

  api.get<{ Params: ServiceParams }>('/services/:id', {
    schema: { params: S.serviceParams, response: { 200: S.serviceResponse, ...S.errs(404) } },
  }, async (req) => {
    const { id } = req.params;
    const cfg = api.writer.current();
    const i = findService(cfg, serviceIdOf(id));
    if (i < 0) throw notFound(`service ${id}`);
    return serviceView(cfg.services[i]!);
  });

  api.put<{ Params: ServiceParams; Body: Partial<ServiceConfig> }>('/services/:id', {
    schema: { params: S.serviceParams, body: S.servicePutBody, response: { 200: S.serviceResponse, ...S.errs(404, 422, 500) } },
  }, async (req) => {
    const { id } = req.params;
    const sid = serviceIdOf(id);
    const body = req.body;
    for (const k of ['protocol', 'vip', 'port'] as const) {
      if (body[k] !== undefined && body[k] !== sid[k]) {
        throw badParam(k, `must match the service id in the URL (${JSON.stringify(sid[k])}); to move a service, delete it and add it again`);
      }
    }
    let idx = -1;
    const cfg = await api.change((d) => {
      idx = findService(d, sid);
      if (idx < 0) throw notFound(`service ${id}`);
      d.services[idx] = { ...structuredClone(body), ...sid } as ServiceConfig;
      return `services[${idx}]`;
    }, `api: replace service ${id}`);
    return serviceView(cfg.services[idx]!);
  });

  api.delete<{ Params: ServiceParams }>('/services/:id', {
    schema: { params: S.serviceParams, response: { 204: { type: 'null' }, ...S.errs(404, 422, 500) } },
  }, async (req, reply) => {
    const { id } = req.params;
    const sid = serviceIdOf(id);
    await api.change((d) => {
      const i = findService(d, sid);
      if (i < 0) throw notFound(`service ${id}`);
      d.services.splice(i, 1);
    }, `api: delete service ${id}`);
    return reply.code(204).send();
  });
};
