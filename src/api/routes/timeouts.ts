// /timeouts: ipvsadm --set tcp tcpfin udp.
import type { FastifyPluginAsync } from 'fastify';
import type { TimeoutsConfig } from '../../config/types';
import * as S from '../schemas';

export const timeoutsRoutes: FastifyPluginAsync = async (api) => {
  api.get('/timeouts', { schema: { response: { 200: S.timeoutsResponse, ...S.errs() } } },
    async () => api.writer.current().timeouts);

  api.put<{ Body: TimeoutsConfig }>('/timeouts', {
    schema: { summary: 'ipvsadm --set: 0 keeps the current value', body: S.timeoutsBody, response: { 200: S.timeoutsResponse, ...S.errs(422, 500) } },
  }, async (req) => {
    const body = req.body;
    const cfg = await api.change((d) => {
      for (const k of ['tcp', 'tcpFin', 'udp'] as const) if (body[k] !== 0) d.timeouts[k] = body[k];
      return 'timeouts';
    }, `api: timeouts ${body.tcp} ${body.tcpFin} ${body.udp}`);
    return cfg.timeouts;
  });
};
