// Runtime counters: /stats (per service and real server, as ipvsadm -L
// --stats shows them), /zero (ipvsadm -Z), /workers, /ports, /neighbours.
import type { FastifyPluginAsync } from 'fastify';
import { endpointKey, serverKey, serviceKey } from '../../config/keys';
import { HttpError, notFound } from '../errors';
import * as S from '../schemas';

export const statsRoutes: FastifyPluginAsync = async (api) => {
  const appliance = api.appliance;

  api.get('/stats', { schema: { response: { 200: S.statsResponse, ...S.errs(503) } } }, async () => {
    const stats = api.dataplane(() => appliance.stats());
    const counters: Map<string, object> = appliance.serverCounters
      ? api.statsView.view(api.dataplane(() => appliance.serverCounters!()))
      : new Map();
    const templates = appliance.persistConns ? api.dataplane(() => appliance.persistConns!()) : undefined;
    const services = api.writer.current().services.map((s) => {
      const servers = s.servers.map((r) => ({
        id: endpointKey(r), weight: r.weight, method: r.method, ...(counters.get(serverKey(s, r)) ?? {}),
        ...(templates ? { persistConns: templates.get(serverKey(s, r)) ?? 0 } : {}),
      }));
      // A service's counters are the sums over its servers, as IPVS shows.
      const total: Record<string, number> = {};
      for (const r of servers) {
        for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && k !== 'weight') total[k] = (total[k] ?? 0) + v;
      }
      return { id: serviceKey(s), scheduler: s.scheduler, ...total, servers };
    });
    return { ...stats, services };
  });

  api.post<{ Body: { service?: string } | undefined }>('/zero', {
    schema: { body: S.zeroBody, response: { 200: S.healthResponse, ...S.errs(404, 501, 503) } },
  }, async (req) => {
    const body = req.body ?? {};
    if (body.service !== undefined && !api.writer.current().services.some((s) => serviceKey(s) === body.service)) {
      throw notFound(`service ${body.service}`);
    }
    if (!appliance.serverCounters) throw new HttpError(501, 'zeroing counters is not implemented');
    const raw = api.dataplane(() => appliance.serverCounters!());
    api.statsView.zero(raw, body.service);
    return { status: 'zeroed' };
  });

  api.get('/workers', { schema: { response: { 200: { type: 'array', items: S.workerCounters }, ...S.errs(503) } } },
    async () => api.dataplane(() => appliance.stats().workers));

  api.get('/ports', { schema: { response: { 200: S.portsResponse, ...S.errs(503) } } },
    async () => api.dataplane(() => appliance.ports()));

  api.get('/neighbours', { schema: { response: { 200: S.neighboursResponse, ...S.errs(501, 503) } } }, async () => {
    if (!appliance.neighbours) throw new HttpError(501, 'neighbour table listing is not implemented by the dataplane yet');
    const f = appliance.neighbours.bind(appliance);
    return api.dataplane(() => f());
  });
};
