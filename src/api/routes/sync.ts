// /sync: the IPVS connection sync daemons (ipvsadm --start-daemon,
// --stop-daemon, -L --daemon) and the VRRP state of the floating addresses.
// Starting or stopping a daemon is a config change (ha.sync.master|backup):
// it is checked, persisted, and survives a restart.
import type { FastifyPluginAsync } from 'fastify';
import type { SyncDaemonConfig } from '../../config/types';
import type { SyncState } from '../../ha/sync';
import * as S from '../schemas';

export const syncRoutes: FastifyPluginAsync = async (api) => {
  const view = () => ({
    daemons: api.ha?.sync.status() ?? [],
    floating: api.ha?.vrrp.status() ?? [],
    stats: api.appliance.running && api.appliance.syncStats ? api.appliance.syncStats() : null,
  });

  api.get('/sync', { schema: { summary: 'ipvsadm -L --daemon, with the sync counters and the VRRP state', response: { 200: S.syncResponse, ...S.errs() } } },
    async () => view());

  api.put<{ Params: { state: SyncState }; Body: SyncDaemonConfig }>('/sync/daemons/:state', {
    schema: { summary: 'ipvsadm --start-daemon master|backup', params: S.syncStateParams, body: S.syncDaemonBody, response: { 200: S.syncResponse, ...S.errs(422, 500) } },
  }, async (req) => {
    const { state } = req.params;
    await api.change((d) => {
      d.ha.sync[state] = req.body;
      return `ha.sync.${state}`;
    }, `api: start sync daemon ${state} on ${req.body.interface}`);
    await api.ha?.settled();
    return view();
  });

  api.delete<{ Params: { state: SyncState } }>('/sync/daemons/:state', {
    schema: { summary: 'ipvsadm --stop-daemon master|backup', params: S.syncStateParams, response: { 200: S.syncResponse, ...S.errs(404, 500) } },
  }, async (req, reply) => {
    const { state } = req.params;
    if (!api.writer.current().ha.sync[state]) return reply.code(404).send({ error: `no ${state} sync daemon is running` });
    await api.change((d) => {
      delete d.ha.sync[state];
    }, `api: stop sync daemon ${state}`);
    await api.ha?.settled();
    return view();
  });
};
