// node-addon-api glue: converts JS values to the C structs of fulcrum.h and
// back. No dataplane logic lives here.
#include <napi.h>
#include <arpa/inet.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fulcrum.h"
#include "../sched/sched.h"
#include "../session/tcp_state.h"

namespace {

[[noreturn]] void Throw(Napi::Env env, const std::string &msg) {
  throw Napi::Error::New(env, msg);
}

uint32_t ParseIp(Napi::Env env, const Napi::Value &v, const std::string &what) {
  if (!v.IsString()) Throw(env, what + ": expected an IPv4 address string");
  std::string s = v.As<Napi::String>().Utf8Value();
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) Throw(env, what + ": bad IPv4 address '" + s + "'");
  return ntohl(a.s_addr);
}

fl_ip6 ParseIp6(Napi::Env env, const Napi::Value &v, const std::string &what) {
  if (!v.IsString()) Throw(env, what + ": expected an IPv6 address string");
  std::string s = v.As<Napi::String>().Utf8Value();
  fl_ip6 a{};
  if (inet_pton(AF_INET6, s.c_str(), a.b) != 1) Throw(env, what + ": bad IPv6 address '" + s + "'");
  return a;
}

std::string Ip6String(const fl_ip6 &a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.b, buf, sizeof(buf));
  return buf;
}

std::string IpString(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

uint32_t U32(Napi::Env env, const Napi::Object &o, const char *key, uint32_t def, bool required = false) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) Throw(env, std::string(key) + ": required");
    return def;
  }
  if (!v.IsNumber()) Throw(env, std::string(key) + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 4294967295.0) Throw(env, std::string(key) + ": out of range");
  return static_cast<uint32_t>(d);
}

void CopyStr(Napi::Env env, char *dst, size_t cap, const Napi::Value &v, const std::string &what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (s.size() >= cap) Throw(env, what + ": too long");
  std::memcpy(dst, s.c_str(), s.size() + 1);
}

Napi::Value EalInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) Throw(env, "ealInit(args: string[])");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> args{"fulcrum"};
  for (uint32_t i = 0; i < arr.Length(); i++) args.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  // EAL keeps pointers into argv and may permute it: give it storage that
  // lives for the process.
  static std::vector<std::string> keep;
  static std::vector<char *> argv;
  keep = args;
  argv.clear();
  for (auto &s : keep) argv.push_back(const_cast<char *>(s.c_str()));
  argv.push_back(nullptr);
  char err[FL_ERR_LEN] = {0};
  if (fl_eal_init(static_cast<int>(keep.size()), argv.data(), err, sizeof(err)) != 0) Throw(env, err);
  return env.Undefined();
}

Napi::Value Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) Throw(env, "start(conf)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto c = std::make_unique<fl_dp_conf>();
  std::memset(c.get(), 0, sizeof(*c));
  Napi::Value wv = o.Get("workers");
  if (!wv.IsArray()) Throw(env, "workers: expected an array of lcore ids");
  Napi::Array workers = wv.As<Napi::Array>();
  if (workers.Length() == 0 || workers.Length() > FL_MAX_WORKERS) Throw(env, "workers: need 1..16");
  c->n_workers = workers.Length();
  for (uint32_t i = 0; i < workers.Length(); i++) c->worker_lcores[i] = workers.Get(i).As<Napi::Number>().Uint32Value();
  Napi::Value pv = o.Get("ports");
  if (!pv.IsArray()) Throw(env, "ports: expected an array");
  Napi::Array ports = pv.As<Napi::Array>();
  if (ports.Length() == 0 || ports.Length() > FL_MAX_PORTS) Throw(env, "ports: need 1..8");
  c->n_ports = ports.Length();
  for (uint32_t i = 0; i < ports.Length(); i++) {
    Napi::Object p = ports.Get(i).As<Napi::Object>();
    std::string what = "ports[" + std::to_string(i) + "]";
    CopyStr(env, c->ports[i].name, sizeof(c->ports[i].name), p.Get("name"), what + ".name");
    CopyStr(env, c->ports[i].device, sizeof(c->ports[i].device), p.Get("device"), what + ".device");
    CopyStr(env, c->ports[i].fallback, sizeof(c->ports[i].fallback), p.Get("fallback"), what + ".fallback");
    CopyStr(env, c->ports[i].twin, sizeof(c->ports[i].twin), p.Get("twin"), what + ".twin");
    c->ports[i].mtu = static_cast<uint16_t>(U32(env, p, "mtu", 0));
  }
  c->mbufs_per_socket = U32(env, o, "mbufsPerSocket", 16384);
  c->rx_desc = U32(env, o, "rxDesc", 1024);
  c->tx_desc = U32(env, o, "txDesc", 1024);
  c->burst = U32(env, o, "burst", 32);
  c->tx_drain_us = U32(env, o, "txDrainUs", 100);
  c->idle_sleep_us = U32(env, o, "idleSleepUs", 0);
  {
    Napi::Value v = o.Get("rxInterrupts");
    if (!v.IsUndefined() && !v.IsBoolean()) Throw(env, "rxInterrupts: expected a boolean");
    c->rx_intr = v.IsBoolean() && v.As<Napi::Boolean>().Value() ? 1 : 0;
  }
  {
    Napi::Value v = o.Get("rewriteTimestamps");
    if (!v.IsUndefined() && !v.IsBoolean()) Throw(env, "rewriteTimestamps: expected a boolean");
    c->ts_rewrite = v.IsBoolean() && v.As<Napi::Boolean>().Value() ? 1 : 0;
  }
  c->neigh_timeout_s = U32(env, o, "neighTimeoutS", 300);
  c->sessions_per_worker = U32(env, o, "sessionsPerWorker", 262144);
  c->sessions6_per_worker = U32(env, o, "ipv6SessionsPerWorker", 65536);
  c->persist_templates = U32(env, o, "persistTemplates", 65536);
  c->icmp_per_sec = U32(env, o, "icmpErrorsPerSec", 1000);
  c->icmp_burst = U32(env, o, "icmpErrorsBurst", 50);
  c->no_launch = static_cast<uint8_t>(U32(env, o, "noLaunch", 0) != 0);
  char err[FL_ERR_LEN] = {0};
  if (fl_dp_start(c.get(), err, sizeof(err)) != 0) Throw(env, err);
  return env.Undefined();
}

// ---- table-driven decoding of the publish() argument into fulcrum.h ----
//
// Each struct the control plane fills is described once, field by field:
// its JS key, how it is read, where it goes, and its default. Names of
// enums (methods, schedulers, their flags) come from the dataplane's own
// tables, so nothing here can disagree with what the dataplane runs.

struct Name {
  std::string name;
  uint32_t value;
};
using Names = std::vector<Name>;

const Names &RoleNames() {
  static const Names n{{"dip", FL_ADDR_DIP}, {"vip", FL_ADDR_VIP}, {"lip", FL_ADDR_LIP}};
  return n;
}
const Names &ProtoNames() {
  static const Names n{{"tcp", 6}, {"udp", 17}};
  return n;
}
// A dataplane table's names, index by index until its name function says
// NULL; the value is the index, or 1 << index for flag bits.
Names TableNames(const char *(*name)(unsigned), bool bits) {
  Names v;
  for (unsigned i = 0; name(i); i++) v.push_back({name(i), bits ? 1u << i : i});
  return v;
}
const Names &MethodNames() {
  static const Names n = TableNames(fl_method_name, false);
  return n;
}
const Names &SchedNames() {
  static const Names n = TableNames(fl_sched_name, false);
  return n;
}
const Names &TcpxNames() {
  static const Names n = TableNames(fl_tcpx_mode_name, false);
  return n;
}
const Names &SchedFlagNames() {
  static const Names n = TableNames(fl_sched_flag_name, true);
  return n;
}

enum class Kind { U8, U16, U32, Ip, Ip6, Bool, Enum, Flags };

struct Field {
  const char *key;
  Kind kind;
  size_t offset;       // into the struct being filled
  bool required;
  uint32_t def;        // when absent (null/undefined) and not required
  const Names &(*names)() = nullptr;   // Enum and Flags
};

std::string OneOf(const Names &names) {
  std::string s;
  for (size_t i = 0; i < names.size(); i++) s += (i ? ", " : "") + names[i].name;
  return s;
}

uint32_t Lookup(Napi::Env env, const Names &names, const Napi::Value &v, const std::string &what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  for (const Name &n : names)
    if (n.name == s) return n.value;
  Throw(env, what + ": '" + s + "' is not one of " + OneOf(names));
}

template <typename T> void Store(void *base, size_t off, uint32_t v) {
  T t = static_cast<T>(v);
  std::memcpy(static_cast<uint8_t *>(base) + off, &t, sizeof(t));
}

void Decode(Napi::Env env, const Napi::Object &o, const Field *fields, size_t n, void *out, const std::string &what) {
  for (size_t i = 0; i < n; i++) {
    const Field &f = fields[i];
    const std::string w = what + "." + f.key;
    Napi::Value v = o.Get(f.key);
    if (f.kind == Kind::Ip6) {   // 16 bytes, :: when absent
      fl_ip6 a{};
      if (!v.IsUndefined() && !v.IsNull()) a = ParseIp6(env, v, w);
      else if (f.required) Throw(env, w + ": required");
      std::memcpy(static_cast<uint8_t *>(out) + f.offset, &a, sizeof(a));
      continue;
    }
    uint32_t val = f.def;
    if (v.IsUndefined() || v.IsNull()) {
      if (f.required) Throw(env, w + ": required");
    } else {
      switch (f.kind) {
        case Kind::U8:
        case Kind::U16:
        case Kind::U32: {
          if (!v.IsNumber()) Throw(env, w + ": expected a number");
          double d = v.As<Napi::Number>().DoubleValue();
          double max = f.kind == Kind::U8 ? 255.0 : f.kind == Kind::U16 ? 65535.0 : 4294967295.0;
          if (!(d >= 0 && d <= max)) Throw(env, w + ": out of range");
          val = static_cast<uint32_t>(d);
          break;
        }
        case Kind::Ip:
          val = ParseIp(env, v, w);
          break;
        case Kind::Ip6:
          break;   // above
        case Kind::Bool:
          val = v.ToBoolean() ? 1 : 0;
          break;
        case Kind::Enum:
          val = Lookup(env, f.names(), v, w);
          break;
        case Kind::Flags: {
          if (!v.IsArray()) Throw(env, w + ": expected an array");
          Napi::Array a = v.As<Napi::Array>();
          val = 0;
          for (uint32_t j = 0; j < a.Length(); j++) val |= Lookup(env, f.names(), a.Get(j), w);
          break;
        }
      }
    }
    switch (f.kind) {
      case Kind::U8:
      case Kind::Bool:
        Store<uint8_t>(out, f.offset, val);
        break;
      case Kind::U16:
        Store<uint16_t>(out, f.offset, val);
        break;
      case Kind::Enum:
        // methods, schedulers, protocols and roles are one byte in the structs
        Store<uint8_t>(out, f.offset, val);
        break;
      default:
        Store<uint32_t>(out, f.offset, val);
    }
  }
}

template <size_t N> void Decode(Napi::Env env, const Napi::Value &v, const Field (&fields)[N], void *out,
                                const std::string &what) {
  if (!v.IsObject()) Throw(env, what + ": expected an object");
  Decode(env, v.As<Napi::Object>(), fields, N, out, what);
}

// The plan: every field publish() reads, and where it goes.
const Field kAddrFields[] = {
    {"ip", Kind::Ip, offsetof(fl_addr, ip), true, 0},
    {"prefix", Kind::U8, offsetof(fl_addr, prefix), false, 32},
    {"role", Kind::Enum, offsetof(fl_addr, role), true, 0, RoleNames},
    {"port", Kind::U16, offsetof(fl_addr, port), true, 0},
    {"standby", Kind::Bool, offsetof(fl_addr, standby), false, 0},
};
const Field kAddr6Fields[] = {
    {"ip", Kind::Ip6, offsetof(fl_addr6, ip), true, 0},
    {"prefix", Kind::U8, offsetof(fl_addr6, prefix), false, 128},
    {"role", Kind::Enum, offsetof(fl_addr6, role), true, 0, RoleNames},
    {"port", Kind::U16, offsetof(fl_addr6, port), true, 0},
    {"standby", Kind::Bool, offsetof(fl_addr6, standby), false, 0},
};
const Field kRoute6Fields[] = {
    {"prefix", Kind::Ip6, offsetof(fl_route6, prefix), true, 0},
    {"len", Kind::U8, offsetof(fl_route6, len), true, 0},
    {"port", Kind::U16, offsetof(fl_route6, port), true, 0},
    {"gateway", Kind::Ip6, offsetof(fl_route6, gateway), false, 0},   // null: directly connected
};
const Field kRouteFields[] = {
    {"prefix", Kind::Ip, offsetof(fl_route, prefix), true, 0},
    {"len", Kind::U8, offsetof(fl_route, len), true, 0},
    {"port", Kind::U16, offsetof(fl_route, port), true, 0},
    {"gateway", Kind::Ip, offsetof(fl_route, gateway), false, 0},   // null: directly connected
};
const Field kServerFields[] = {
    {"id", Kind::U32, offsetof(fl_server_conf, id), true, 0},
    {"port", Kind::U16, offsetof(fl_server_conf, port), true, 0},
    {"weight", Kind::U32, offsetof(fl_server_conf, weight), false, 1},
    {"upperThreshold", Kind::U32, offsetof(fl_server_conf, u_threshold), false, 0},
    {"lowerThreshold", Kind::U32, offsetof(fl_server_conf, l_threshold), false, 0},
    {"method", Kind::Enum, offsetof(fl_server_conf, method), false, FL_FWD_FULLNAT, MethodNames},
};
// Addresses, by the service's family: a server's ip and the service's vip.
const Field kServerIpField[] = {{"ip", Kind::Ip, offsetof(fl_server_conf, ip), true, 0}};
const Field kServerIp6Field[] = {{"ip", Kind::Ip6, offsetof(fl_server_conf, ip6), true, 0}};
const Field kVipField[] = {{"vip", Kind::Ip, offsetof(fl_service_conf, vip), true, 0}};
const Field kVip6Field[] = {{"vip", Kind::Ip6, offsetof(fl_service_conf, vip6), true, 0}};
const Field kServiceFields[] = {
    {"id", Kind::U32, offsetof(fl_service_conf, id), true, 0},
    {"proto", Kind::Enum, offsetof(fl_service_conf, proto), true, 0, ProtoNames},
    {"family", Kind::U8, offsetof(fl_service_conf, family), false, 4},
    {"serverFamily", Kind::U8, offsetof(fl_service_conf, server_family), false, 0},
    {"port", Kind::U16, offsetof(fl_service_conf, port), true, 0},
    {"sched", Kind::Enum, offsetof(fl_service_conf, sched), false, FL_SCHED_WLC, SchedNames},
    {"schedFlags", Kind::Flags, offsetof(fl_service_conf, sched_flags), false, 0, SchedFlagNames},
    {"mhTableSize", Kind::U32, offsetof(fl_service_conf, mh_size), false, 0},
    {"expireNodest", Kind::Bool, offsetof(fl_service_conf, expire_nodest), false, 0},
    {"mssClamp", Kind::U16, offsetof(fl_service_conf, mss_clamp), false, 0},
    {"tcpx", Kind::Enum, offsetof(fl_service_conf, tcpx), false, FL_TCPX_NONE, TcpxNames},
    {"synProxy", Kind::Bool, offsetof(fl_service_conf, synproxy), false, 0},
};
// persistence: {timeout, netmask}, or null for none
const Field kPersistFields[] = {
    {"timeout", Kind::U32, offsetof(fl_service_conf, persist_timeout_s), false, 360},
    {"netmask", Kind::Ip, offsetof(fl_service_conf, persist_mask), false, 0xffffffffu},
    {"ipv6PrefixLength", Kind::U8, offsetof(fl_service_conf, persist_prefix6), false, 128},
};
const Field kTimeoutFields[] = {
    {"tcp", Kind::U32, offsetof(fl_net_conf, timeout_tcp), false, 0},
    {"tcpFin", Kind::U32, offsetof(fl_net_conf, timeout_tcpfin), false, 0},
    {"udp", Kind::U32, offsetof(fl_net_conf, timeout_udp), false, 0},
};

Napi::Array ArrayAt(Napi::Env env, const Napi::Object &o, const char *key, size_t max, bool optional = false) {
  Napi::Value v = o.Get(key);
  if (optional && (v.IsUndefined() || v.IsNull())) return Napi::Array::New(env, 0);
  if (!v.IsArray()) Throw(env, std::string(key) + ": expected an array");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > max) Throw(env, std::string(key) + ": more than " + std::to_string(max));
  return a;
}

std::string At(const std::string &what, uint32_t i) {
  return what + "[" + std::to_string(i) + "]";
}

Napi::Value Publish(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) Throw(env, "publish(conf)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto net = std::make_unique<fl_net_conf>();
  std::memset(net.get(), 0, sizeof(*net));
  Napi::Array addrs = ArrayAt(env, o, "addrs", FL_MAX_ADDRS);
  net->n_addrs = addrs.Length();
  for (uint32_t i = 0; i < addrs.Length(); i++) Decode(env, addrs.Get(i), kAddrFields, &net->addrs[i], At("addrs", i));
  Napi::Array routes = ArrayAt(env, o, "routes", FL_MAX_ROUTES);
  net->n_routes = routes.Length();
  for (uint32_t i = 0; i < routes.Length(); i++)
    Decode(env, routes.Get(i), kRouteFields, &net->routes[i], At("routes", i));
  Napi::Array addrs6 = ArrayAt(env, o, "addrs6", FL_MAX_ADDRS, true);
  net->n_addrs6 = addrs6.Length();
  for (uint32_t i = 0; i < addrs6.Length(); i++)
    Decode(env, addrs6.Get(i), kAddr6Fields, &net->addrs6[i], At("addrs6", i));
  Napi::Array routes6 = ArrayAt(env, o, "routes6", FL_MAX_ROUTES, true);
  net->n_routes6 = routes6.Length();
  for (uint32_t i = 0; i < routes6.Length(); i++)
    Decode(env, routes6.Get(i), kRoute6Fields, &net->routes6[i], At("routes6", i));
  // Services: storage lives until fl_net_publish has copied it.
  Napi::Array arr = ArrayAt(env, o, "services", FL_MAX_SERVICES, true);
  std::vector<fl_service_conf> svcs(arr.Length());
  std::vector<std::vector<fl_server_conf>> servers(arr.Length());
  std::vector<std::vector<uint32_t>> lips(arr.Length());
  std::vector<std::vector<fl_ip6>> lips6(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    const std::string what = At("services", i);
    fl_service_conf &c = svcs[i];
    std::memset(&c, 0, sizeof(c));
    Decode(env, arr.Get(i), kServiceFields, &c, what);
    if (c.family != 4 && c.family != 6) Throw(env, what + ".family: must be 4 or 6");
    const bool v6 = c.family == 6;
    if (c.server_family != 0 && c.server_family != 4 && c.server_family != 6)
      Throw(env, what + ".serverFamily: must be 4 or 6");
    // Servers and LIPs are of the servers' family (NAT64: 4 under an IPv6 VIP).
    const bool rs6 = fl_service_conf_rs6(&c);
    Napi::Object so = arr.Get(i).As<Napi::Object>();
    if (v6)
      Decode(env, so, kVip6Field, &c, what);
    else
      Decode(env, so, kVipField, &c, what);
    Napi::Value pv = so.Get("persistence");
    if (pv.IsObject()) Decode(env, pv, kPersistFields, &c, what + ".persistence");
    Napi::Array ra = ArrayAt(env, so, "servers", FL_SCHED_MAX_DESTS);
    servers[i].resize(ra.Length());
    for (uint32_t j = 0; j < ra.Length(); j++) {
      std::memset(&servers[i][j], 0, sizeof(servers[i][j]));
      Decode(env, ra.Get(j), kServerFields, &servers[i][j], At(what + ".servers", j));
      if (rs6)
        Decode(env, ra.Get(j), kServerIp6Field, &servers[i][j], At(what + ".servers", j));
      else
        Decode(env, ra.Get(j), kServerIpField, &servers[i][j], At(what + ".servers", j));
    }
    c.n_servers = static_cast<unsigned>(servers[i].size());
    c.servers = servers[i].data();
    Napi::Array la = ArrayAt(env, so, "lips", FL_MAX_LIPS, true);
    for (uint32_t j = 0; j < la.Length(); j++) {
      if (rs6)
        lips6[i].push_back(ParseIp6(env, la.Get(j), At(what + ".lips", j)));
      else
        lips[i].push_back(ParseIp(env, la.Get(j), At(what + ".lips", j)));
    }
    c.n_lips = la.Length();
    c.lips = lips[i].data();
    c.lips6 = lips6[i].data();
  }
  net->n_services = static_cast<unsigned>(svcs.size());
  net->services = svcs.data();
  Napi::Value tv = o.Get("timeouts");
  if (tv.IsObject()) Decode(env, tv, kTimeoutFields, net.get(), "timeouts");
  net->sloppy_tcp = o.Get("sloppyTcp").ToBoolean() ? 1 : 0;
  char err[FL_ERR_LEN] = {0};
  if (fl_net_publish(net.get(), err, sizeof(err)) != 0) Throw(env, err);
  return env.Undefined();
}

Napi::Value Stop(const Napi::CallbackInfo &info) {
  fl_dp_stop();
  return info.Env().Undefined();
}

Napi::Value Cleanup(const Napi::CallbackInfo &info) {
  fl_dp_stop();  // the EAL layer knows nothing of the dataplane above it
  fl_eal_cleanup();
  return info.Env().Undefined();
}

std::string MacString(const uint8_t *m) {
  char buf[18];
  snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

Napi::Value Ports(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned n = fl_port_count();
  Napi::Array out = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    struct fl_port_info pi{};
    if (fl_port_info(i, &pi) != 0) continue;
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", pi.name);
    o.Set("driver", pi.driver);
    o.Set("twin", pi.twin);
    o.Set("portId", pi.port_id);
    o.Set("twinPortId", pi.twin_port_id == UINT16_MAX ? env.Null() : Napi::Number::New(env, pi.twin_port_id));
    o.Set("mac", MacString(pi.mac));
    o.Set("mtu", pi.mtu);
    o.Set("rxQueues", pi.n_rxq);
    o.Set("txQueues", pi.n_txq);
    o.Set("rss", static_cast<bool>(pi.rss));
    o.Set("clientSteering", static_cast<bool>(pi.sw_steer) ? "software" : "port");
    o.Set("steering", pi.steering == 2 ? "rte_flow" : pi.steering == 1 ? "software" : "none");
    o.Set("linkUp", static_cast<bool>(pi.link_up));
    o.Set("xskSockets", pi.xsk);
    o.Set("xskZeroCopy", pi.xsk_zerocopy);
    o.Set("fallbackReason", pi.fallback_reason[0] ? Napi::Value(Napi::String::New(env, pi.fallback_reason)) : env.Null());
    o.Set("rxInterrupts", static_cast<bool>(pi.rx_intr));
    o.Set("twinRxInterrupts", static_cast<bool>(pi.twin_rx_intr));
    out.Set(i, o);
  }
  return out;
}

Napi::Object PortCounters(Napi::Env env, const fl_port_counters &p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rxPackets", static_cast<double>(p.rx_pkts));
  o.Set("rxBytes", static_cast<double>(p.rx_bytes));
  o.Set("txPackets", static_cast<double>(p.tx_pkts));
  o.Set("txBytes", static_cast<double>(p.tx_bytes));
  o.Set("toKernel", static_cast<double>(p.to_kernel));
  o.Set("fromKernel", static_cast<double>(p.from_kernel));
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<fl_worker_counters> c(FL_MAX_WORKERS + 1);
  unsigned n = fl_stats_read(c.data(), static_cast<unsigned>(c.size()));
  unsigned nports = fl_port_count();
  std::vector<std::string> names(nports);
  for (unsigned p = 0; p < nports; p++) {
    struct fl_port_info pi{};
    fl_port_info(p, &pi);
    names[p] = pi.name;
  }
  fl_worker_counters total{};
  Napi::Array workers = Napi::Array::New(env, n);
  unsigned nw = fl_worker_count();
  for (unsigned i = 0; i < n; i++) {
    const fl_worker_counters &w = c[i];
    Napi::Object o = Napi::Object::New(env);
    bool service = i == nw;
    o.Set("role", service ? "service" : "worker");
    o.Set("index", i);
    o.Set("lcore", service ? env.Null() : Napi::Number::New(env, fl_worker_lcore(i)));
    Napi::Object ports = Napi::Object::New(env);
    for (unsigned p = 0; p < nports; p++) {
      ports.Set(names[p], PortCounters(env, w.port[p]));
      total.port[p].rx_pkts += w.port[p].rx_pkts;
      total.port[p].rx_bytes += w.port[p].rx_bytes;
      total.port[p].tx_pkts += w.port[p].tx_pkts;
      total.port[p].tx_bytes += w.port[p].tx_bytes;
      total.port[p].to_kernel += w.port[p].to_kernel;
      total.port[p].from_kernel += w.port[p].from_kernel;
    }
    o.Set("ports", ports);
    Napi::Object drops = Napi::Object::New(env);
    for (unsigned d = 0; d < FL_DROP__MAX; d++) {
      drops.Set(fl_drop_name(d), static_cast<double>(w.drops[d]));
      total.drops[d] += w.drops[d];
    }
    o.Set("drops", drops);
    Napi::Object tcpx = Napi::Object::New(env);
    for (unsigned e = 0; e < FL_TCPX_EV__MAX; e++) tcpx.Set(fl_tcpx_event_name(e), static_cast<double>(w.tcpx[e]));
    o.Set("tcpEdits", tcpx);
    Napi::Object sync = Napi::Object::New(env);
    for (unsigned e = 0; e < FL_SYNC_EV__MAX; e++) sync.Set(fl_sync_event_name(e), static_cast<double>(w.sync[e]));
    o.Set("sync", sync);
#define F(js, c) o.Set(js, static_cast<double>(w.c))
    F("arpReplies", arp_replies);
    F("arpRequestsSent", arp_requests_sent);
    F("garpSent", garp_sent);
    F("icmpEchoReplies", icmp_echo_replies);
    F("icmpErrorsSent", icmp_errors_sent);
    F("icmpErrorsLimited", icmp_errors_limited);
    F("ndAdvertsSent", nd_adverts_sent);
    F("ndSolicitsSent", nd_solicits_sent);
    F("ndUnsolicitedSent", nd_unsolicited_sent);
    F("icmp6EchoReplies", icmp6_echo_replies);
    F("neighQueued", neigh_queued);
    F("redirectOut", redirect_out);
    F("redirectIn", redirect_in);
    F("sessionsCreated", sessions_created);
    F("sessionsExpired", sessions_expired);
    F("sessionsActive", sessions_active);
    F("sessionsCapacity", sessions_capacity);
    F("loops", loops);
    F("busyLoops", busy_loops);
    F("idleNaps", idle_naps);
    F("idleNapUs", idle_nap_us);
    F("idleWaits", idle_waits);
    F("idleWakeups", idle_wakeups);
    o.Set("rxInterrupts", w.rx_intr != 0);
#undef F
    workers.Set(i, o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("workers", workers);
  Napi::Object ports = Napi::Object::New(env);
  for (unsigned p = 0; p < nports; p++) ports.Set(names[p], PortCounters(env, total.port[p]));
  out.Set("ports", ports);
  Napi::Object drops = Napi::Object::New(env);
  for (unsigned d = 0; d < FL_DROP__MAX; d++) drops.Set(fl_drop_name(d), static_cast<double>(total.drops[d]));
  out.Set("drops", drops);
  struct fl_persist_stats ps;
  fl_persist_stats_read(&ps);
  Napi::Object persist = Napi::Object::New(env);
  persist.Set("templateSlots", ps.slots);
  persist.Set("templatesFull", static_cast<double>(ps.full));
  persist.Set("templatesReclaimed", static_cast<double>(ps.reclaimed));
  out.Set("persistence", persist);
  return out;
}

Napi::Value DropReasons(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env, FL_DROP__MAX);
  for (unsigned d = 0; d < FL_DROP__MAX; d++) a.Set(d, fl_drop_name(d));
  return a;
}

Napi::Value RingInject(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned port = info[0].As<Napi::Number>().Uint32Value();
  unsigned queue = info[1].As<Napi::Number>().Uint32Value();
  if (!info[2].IsArray()) Throw(env, "ringInject(port, queue, frames: Buffer[])");
  Napi::Array frames = info[2].As<Napi::Array>();
  std::vector<const uint8_t *> ptrs;
  std::vector<uint16_t> lens;
  std::vector<Napi::Buffer<uint8_t>> keep;
  for (uint32_t i = 0; i < frames.Length(); i++) {
    Napi::Value v = frames.Get(i);
    if (!v.IsBuffer()) Throw(env, "frames must be Buffers");
    auto b = v.As<Napi::Buffer<uint8_t>>();
    if (b.Length() > 9600) Throw(env, "frame too long");
    keep.push_back(b);
    ptrs.push_back(b.Data());
    lens.push_back(static_cast<uint16_t>(b.Length()));
  }
  int n = fl_ring_inject(port, queue, ptrs.data(), lens.data(), static_cast<unsigned>(ptrs.size()));
  if (n < 0) Throw(env, "ringInject: not a ring port or bad queue");
  return Napi::Number::New(env, n);
}

Napi::Value RingDrain(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned port = info[0].As<Napi::Number>().Uint32Value();
  unsigned max = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1024;
  const uint16_t cap = 9600;
  std::vector<std::vector<uint8_t>> bufs(max, std::vector<uint8_t>(cap));
  std::vector<uint8_t *> ptrs(max);
  for (unsigned i = 0; i < max; i++) ptrs[i] = bufs[i].data();
  std::vector<uint16_t> lens(max), qs(max);
  int n = fl_ring_drain(port, ptrs.data(), cap, lens.data(), qs.data(), max);
  if (n < 0) Throw(env, "ringDrain: not a ring port");
  Napi::Array out = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("frame", Napi::Buffer<uint8_t>::Copy(env, bufs[i].data(), lens[i]));
    o.Set("queue", qs[i]);
    out.Set(i, o);
  }
  return out;
}

// replayFrame(port, frame): one frame through the fast path on this thread
// (dataplane started with noLaunch; fulcrum replay).
Napi::Value ReplayFrame(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned port = info[0].As<Napi::Number>().Uint32Value();
  Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
  if (b.Length() > 65535) Throw(env, "replayFrame: frame too long");
  char err[FL_ERR_LEN] = {0};
  if (fl_replay_frame(port, b.Data(), static_cast<uint16_t>(b.Length()), err, sizeof(err)) != 0) Throw(env, std::string("replayFrame: ") + err);
  return env.Undefined();
}

// replayNeighbour(port, ip, mac): learn a neighbour up front.
Napi::Value ReplayNeighbour(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned port = info[0].As<Napi::Number>().Uint32Value();
  uint32_t ip = htonl(ParseIp(env, info[1], "ip"));
  Napi::Buffer<uint8_t> mac = info[2].As<Napi::Buffer<uint8_t>>();
  if (mac.Length() != 6) Throw(env, "replayNeighbour: mac must be 6 bytes");
  if (fl_replay_neighbour(port, ip, mac.Data()) != 0) Throw(env, "replayNeighbour: no such port");
  return env.Undefined();
}

Napi::Value Neighbours(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<fl_neigh_view> v(FL_NEIGH_LIST_MAX);
  unsigned n = fl_neigh_list(v.data(), static_cast<unsigned>(v.size()));
  Napi::Array out = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ip", v[i].family == 6 ? Ip6String(v[i].ip6) : IpString(ntohl(v[i].ip)));
    o.Set("port", v[i].port);
    o.Set("mac", MacString(v[i].mac));
    o.Set("valid", static_cast<bool>(v[i].valid));
    o.Set("expiresInMs", static_cast<double>(v[i].expires_in_ms));
    out.Set(i, o);
  }
  return out;
}

Napi::Value ServerStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<fl_server_stats> v(FL_MAX_SERVER_IDS);
  unsigned n = fl_server_stats_read(v.data(), static_cast<unsigned>(v.size()));
  Napi::Array out = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", v[i].id);
    o.Set("active", v[i].active);
    o.Set("inactive", v[i].inactive);
    o.Set("conns", static_cast<double>(v[i].conns));
    o.Set("inPackets", static_cast<double>(v[i].pkts_in));
    o.Set("outPackets", static_cast<double>(v[i].pkts_out));
    o.Set("inBytes", static_cast<double>(v[i].bytes_in));
    o.Set("outBytes", static_cast<double>(v[i].bytes_out));
    out.Set(i, o);
  }
  return out;
}

Napi::Value LipStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<fl_lip_stats> v(FL_MAX_LIPS * FL_MAX_WORKERS);
  unsigned n = fl_lip_stats_read(v.data(), static_cast<unsigned>(v.size()));
  Napi::Array out = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ip", v[i].family == 6 ? Ip6String(v[i].ip6) : IpString(ntohl(v[i].ip)));
    o.Set("worker", v[i].worker);
    o.Set("free", v[i].free);
    o.Set("capacity", v[i].capacity);
    out.Set(i, o);
  }
  return out;
}

// ---- session sync (native/sync): the control plane owns the sockets ----
const Field kSyncFields[] = {
    {"master", Kind::Bool, offsetof(fl_sync_conf, master), false, 0},
    {"backup", Kind::Bool, offsetof(fl_sync_conf, backup), false, 0},
    {"masterSyncId", Kind::U8, offsetof(fl_sync_conf, master_syncid), false, 0},
    {"backupSyncId", Kind::U8, offsetof(fl_sync_conf, backup_syncid), false, 0},
    {"threshold", Kind::U32, offsetof(fl_sync_conf, threshold), false, 3},
    {"period", Kind::U32, offsetof(fl_sync_conf, period), false, 50},
    {"refreshPeriod", Kind::U32, offsetof(fl_sync_conf, refresh_period_s), false, 0},
    {"maxLen", Kind::U16, offsetof(fl_sync_conf, max_len), false, 1472},
};

// syncConfigure({master, backup, ...}): which daemons run, with IPVS's knobs.
Napi::Value SyncConfigure(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  fl_sync_conf c;
  std::memset(&c, 0, sizeof(c));
  Decode(env, info[0], kSyncFields, &c, "sync");
  char err[FL_ERR_LEN] = {0};
  if (fl_sync_configure(&c, err, sizeof(err))) Throw(env, err);
  return env.Undefined();
}

// syncCollect() -> { messages: Buffer[], lagMs }: what the workers queued, as IPVS v1 messages.
Napi::Value SyncCollect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  static uint8_t buf[1 << 20];
  static uint16_t lens[1024];
  uint32_t lag = 0;
  unsigned n = fl_sync_collect(buf, sizeof(buf), lens, 1024, &lag);
  Napi::Array msgs = Napi::Array::New(env, n);
  size_t at = 0;
  for (unsigned i = 0; i < n; i++) {
    msgs.Set(i, Napi::Buffer<uint8_t>::Copy(env, buf + at, lens[i]));
    at += lens[i];
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("messages", msgs);
  o.Set("lagMs", lag);
  return o;
}

// syncApply(buffer) -> { handed, error }: a received message to the workers that own its sessions.
Napi::Value SyncApply(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) Throw(env, "syncApply(buffer)");
  Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
  unsigned reason = 0;
  int n = fl_sync_apply(b.Data(), b.Length(), &reason);
  Napi::Object o = Napi::Object::New(env);
  o.Set("handed", n < 0 ? 0 : n);
  o.Set("error", reason ? Napi::Value(Napi::String::New(env, fl_sync_err_name(reason))) : env.Null());
  return o;
}

// syncStats() -> the sync thread's counters.
Napi::Value SyncStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  fl_sync_stats s;
  fl_sync_stats_read(&s);
  Napi::Object o = Napi::Object::New(env);
  o.Set("msgsSent", static_cast<double>(s.msgs_sent));
  o.Set("connsSent", static_cast<double>(s.conns_sent));
  o.Set("msgsReceived", static_cast<double>(s.msgs_received));
  o.Set("connsReceived", static_cast<double>(s.conns_received));
  o.Set("connsSkipped", static_cast<double>(s.conns_skipped));
  o.Set("connsInvalid", static_cast<double>(s.conns_invalid));
  o.Set("workerRingFull", static_cast<double>(s.worker_ring_full));
  o.Set("lastLagMs", s.last_lag_ms);
  Napi::Object refused = Napi::Object::New(env);
  for (unsigned e = 1; fl_sync_err_name(e); e++) refused.Set(fl_sync_err_name(e), static_cast<double>(s.msgs_refused[e]));
  o.Set("msgsRefused", refused);
  return o;
}

// templates(cursor, max) -> { templates, cursor, done }: live persistence templates.
Napi::Value Templates(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t cursor = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
  unsigned max = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1024;
  if (max > 4096) max = 4096;
  std::vector<fl_template_info> v(max);
  int done = 1;
  unsigned n = fl_templates_read(&cursor, v.data(), max, &done);
  Napi::Array arr = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("serviceId", v[i].service_id);
    o.Set("client", IpString(ntohl(v[i].client)));
    o.Set("serverId", v[i].server_id);
    o.Set("expiresInMs", v[i].expires_in_ms);
    o.Set("refs", v[i].refcnt);
    arr.Set(i, o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("templates", arr);
  out.Set("cursor", cursor);
  out.Set("done", static_cast<bool>(done));
  return out;
}

const char *MethodName(uint8_t m) {
  const char *n = fl_method_name(m);
  return n ? n : "unknown";
}

// One session as the API shows it.
Napi::Object SessionObject(Napi::Env env, const fl_session_info &x) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("proto", x.proto == 6 ? "tcp" : x.proto == 17 ? "udp" : std::to_string(x.proto));
  const bool v6 = x.family == 6;
  static const fl_ip6 none{};
  // A NAT64 session's server side is IPv4-mapped inside: shown as the IPv4
  // addresses it has on the wire.
  auto addr = [&](uint32_t a4, const fl_ip6 &a6) {
    if (v6 && fl_ip6_is_mapped(a6.b)) return IpString(ntohl(fl_ip6_unmapped(a6.b)));
    return v6 ? Ip6String(a6) : IpString(ntohl(a4));
  };
  o.Set("client", addr(x.caddr, x.caddr6));
  o.Set("clientPort", ntohs(x.cport));
  o.Set("vip", addr(x.vaddr, x.vaddr6));
  o.Set("vport", ntohs(x.vport));
  o.Set("server", addr(x.raddr, x.raddr6));
  o.Set("serverPort", ntohs(x.rport));
  // No local address: an INPUT_ONLY session (DR, TUN) has no outbound key.
  const bool has_local = v6 ? std::memcmp(&x.laddr6, &none, sizeof(none)) != 0 : x.laddr != 0;
  o.Set("local", has_local ? Napi::Value(Napi::String::New(env, addr(x.laddr, x.laddr6))) : env.Null());
  o.Set("localPort", has_local ? Napi::Value(Napi::Number::New(env, ntohs(x.lport))) : env.Null());
  o.Set("state", x.proto == 6 ? fl_tcp_state_name(x.state) : "UDP");
  o.Set("method", MethodName(x.method));
  o.Set("worker", x.worker);
  o.Set("serverId", x.server_id);
  o.Set("serviceId", x.service_id);
  o.Set("expiresInMs", x.expires_in_ms);
  o.Set("packets", x.pkts);
  return o;
}

// sessions(worker, cursor, max) -> { sessions, cursor, done }
Napi::Value Sessions(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  unsigned worker = info[0].As<Napi::Number>().Uint32Value();
  uint32_t cursor = info[1].As<Napi::Number>().Uint32Value();
  unsigned max = info.Length() > 2 ? info[2].As<Napi::Number>().Uint32Value() : 64;
  // Static: a worker that answers after a timeout still writes here.
  static fl_session_info buf[64];
  int done = 0;
  int n = fl_sessions_read(worker, &cursor, buf, max > 64 ? 64 : max, &done, 200);
  if (n < 0) Throw(env, "sessions: worker " + std::to_string(worker) + " did not answer (bad worker or stopped)");
  Napi::Array arr = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    Napi::Object o = SessionObject(env, buf[i]);
    arr.Set(i, o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("sessions", arr);
  out.Set("cursor", cursor);
  out.Set("done", static_cast<bool>(done));
  return out;
}

// explain({ proto, src, sport, dst, dport }) -> what the fast path would do
// with that client's packet now (ids and numbers; src/lb names them).
Napi::Value Explain(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  fl_explain_query q{};
  q.proto = static_cast<uint8_t>(U32(env, o, "proto", 6));
  q.saddr = htonl(ParseIp(env, o.Get("src"), "src"));
  q.daddr = htonl(ParseIp(env, o.Get("dst"), "dst"));
  q.sport = htons(static_cast<uint16_t>(U32(env, o, "sport", 0)));
  q.dport = htons(static_cast<uint16_t>(U32(env, o, "dport", 0)));
  fl_explain_result r{};
  std::vector<fl_explain_dest> dests(256);
  char err[256] = "";
  if (fl_explain(&q, &r, dests.data(), static_cast<unsigned>(dests.size()), 500, err, sizeof(err)) != 0)
    Throw(env, std::string("explain: ") + err);
  Napi::Object out = Napi::Object::New(env);
  out.Set("worker", r.worker);
  out.Set("ownerKnown", static_cast<bool>(r.owner_known));
  out.Set("serviceId", r.service_found ? Napi::Value(Napi::Number::New(env, r.service_id)) : env.Null());
  out.Set("serviceWildcard", static_cast<bool>(r.service_wildcard));
  out.Set("session", r.has_session ? Napi::Value(SessionObject(env, r.session)) : env.Null());
  if (r.has_template) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("serverId", r.tpl_server_id);
    t.Set("expiresInMs", r.tpl_expires_in_ms);
    t.Set("refs", r.tpl_refs);
    out.Set("template", t);
  } else {
    out.Set("template", env.Null());
  }
  out.Set("scheduler", r.service_found ? Napi::Value(Napi::String::New(env, fl_sched_name(r.sched_kind))) : env.Null());
  out.Set("lastPickServerId", r.sched_last_server_id >= 0 ? Napi::Value(Napi::Number::New(env, r.sched_last_server_id)) : env.Null());
  out.Set("keySlot", r.key_slot >= 0 ? Napi::Value(Napi::Number::New(env, static_cast<double>(r.key_slot))) : env.Null());
  out.Set("slots", r.n_slots);
  out.Set("slotServerId", r.slot_server_id >= 0 ? Napi::Value(Napi::Number::New(env, r.slot_server_id)) : env.Null());
  out.Set("pickServerId", r.pick_server_id >= 0 ? Napi::Value(Napi::Number::New(env, r.pick_server_id)) : env.Null());
  out.Set("pickFromTemplate", static_cast<bool>(r.pick_from_template));
  out.Set("method", r.pick_server_id >= 0 ? Napi::Value(Napi::String::New(env, MethodName(r.method))) : env.Null());
  out.Set("openDrop", r.open_drop >= 0 ? Napi::Value(Napi::String::New(env, fl_drop_name(static_cast<unsigned>(r.open_drop)))) : env.Null());
  bool reply = r.pick_server_id >= 0 && r.keyed && r.open_drop < 0 && r.laddr;
  out.Set("replyTo", reply ? Napi::Value(Napi::String::New(env, IpString(ntohl(r.laddr)))) : env.Null());
  out.Set("replyPort", reply ? Napi::Value(Napi::Number::New(env, ntohs(r.lport))) : env.Null());
  if (r.egress_ok) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("port", r.egress_port);
    e.Set("nextHop", IpString(ntohl(r.egress_hop)));
    e.Set("mac", r.neigh_ok ? Napi::Value(Napi::String::New(env, MacString(r.neigh_mac))) : env.Null());
    out.Set("egress", e);
  } else {
    out.Set("egress", env.Null());
  }
  unsigned n = r.n_dests < dests.size() ? r.n_dests : static_cast<unsigned>(dests.size());
  Napi::Array arr = Napi::Array::New(env, n);
  for (unsigned i = 0; i < n; i++) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("serverId", dests[i].server_id);
    d.Set("weight", dests[i].weight);
    d.Set("available", static_cast<bool>(dests[i].flags & FL_DEST_F_AVAILABLE));
    d.Set("overloaded", static_cast<bool>(dests[i].flags & FL_DEST_F_OVERLOAD));
    d.Set("active", dests[i].active);
    d.Set("inactive", dests[i].inactive);
    arr.Set(i, d);
  }
  out.Set("servers", arr);
  return out;
}

// The dataplane's vocabulary: names of methods, schedulers, scheduler flags
// and drop reasons, and the limits of fulcrum.h, from the C tables
// themselves. The control plane checks them once at load (src/native/).
Napi::Object Vocabulary(Napi::Env env) {
  auto names = [&](const Names &n) {
    Napi::Array a = Napi::Array::New(env, n.size());
    for (size_t i = 0; i < n.size(); i++) a.Set(static_cast<uint32_t>(i), n[i].name);
    return a;
  };
  Napi::Object v = Napi::Object::New(env);
  v.Set("methods", names(MethodNames()));
  v.Set("schedulers", names(SchedNames()));
  v.Set("schedFlags", names(SchedFlagNames()));
  v.Set("tcpEdits", names(TcpxNames()));
  Napi::Array editing = Napi::Array::New(env);
  for (unsigned m = 0; fl_method_name(m); m++)
    if (fl_method_edits_tcp(m)) editing.Set(editing.Length(), fl_method_name(m));
  v.Set("tcpEditMethods", editing);
  Napi::Array v6 = Napi::Array::New(env);
  for (unsigned m = 0; fl_method_name(m); m++)
    if (fl_method_has_ipv6(m)) v6.Set(v6.Length(), fl_method_name(m));
  v.Set("ipv6Methods", v6);
  Napi::Array tcpxEv = Napi::Array::New(env, FL_TCPX_EV__MAX);
  for (unsigned e = 0; e < FL_TCPX_EV__MAX; e++) tcpxEv.Set(e, fl_tcpx_event_name(e));
  v.Set("tcpEditEvents", tcpxEv);
  Napi::Array syncEv = Napi::Array::New(env, FL_SYNC_EV__MAX);
  for (unsigned e = 0; e < FL_SYNC_EV__MAX; e++) syncEv.Set(e, fl_sync_event_name(e));
  v.Set("syncEvents", syncEv);
  v.Set("defaultScheduler", FL_SCHED_DEFAULT_NAME);
  Napi::Array drops = Napi::Array::New(env, FL_DROP__MAX);
  for (unsigned d = 0; d < FL_DROP__MAX; d++) drops.Set(d, fl_drop_name(d));
  v.Set("dropReasons", drops);
  Napi::Object l = Napi::Object::New(env);
  l.Set("ports", FL_MAX_PORTS);
  l.Set("workers", FL_MAX_WORKERS);
  l.Set("addrs", FL_MAX_ADDRS);
  l.Set("routes", FL_MAX_ROUTES);
  l.Set("services", FL_MAX_SERVICES);
  l.Set("serviceIds", FL_MAX_SERVICE_IDS);
  l.Set("serverIds", FL_MAX_SERVER_IDS);
  l.Set("lips", FL_MAX_LIPS);
  l.Set("devargsLength", FL_DEVARGS_LEN - 1);
  l.Set("nameLength", FL_NAME_LEN - 1);
  l.Set("lcore", RTE_MAX_LCORE - 1);
  l.Set("mhTableSize", FL_SCHED_MH_MAX_SIZE);
  l.Set("serversPerService", FL_SCHED_MAX_DESTS);
  v.Set("limits", l);
  return v;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("vocabulary", Vocabulary(env));
  exports.Set("ealInit", Napi::Function::New(env, EalInit));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("publish", Napi::Function::New(env, Publish));
  exports.Set("stop", Napi::Function::New(env, Stop));
  exports.Set("cleanup", Napi::Function::New(env, Cleanup));
  exports.Set("ports", Napi::Function::New(env, Ports));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("syncConfigure", Napi::Function::New(env, SyncConfigure));
  exports.Set("syncCollect", Napi::Function::New(env, SyncCollect));
  exports.Set("syncApply", Napi::Function::New(env, SyncApply));
  exports.Set("syncStats", Napi::Function::New(env, SyncStats));
  exports.Set("dropReasons", Napi::Function::New(env, DropReasons));
  exports.Set("neighbours", Napi::Function::New(env, Neighbours));
  exports.Set("serverStats", Napi::Function::New(env, ServerStats));
  exports.Set("lipStats", Napi::Function::New(env, LipStats));
  exports.Set("sessions", Napi::Function::New(env, Sessions));
  exports.Set("templates", Napi::Function::New(env, Templates));
  exports.Set("explain", Napi::Function::New(env, Explain));
  exports.Set("ringInject", Napi::Function::New(env, RingInject));
  exports.Set("ringDrain", Napi::Function::New(env, RingDrain));
  exports.Set("replayFrame", Napi::Function::New(env, ReplayFrame));
  exports.Set("replayNeighbour", Napi::Function::New(env, ReplayNeighbour));
  return exports;
}

}  // namespace

NODE_API_MODULE(fulcrum_native, Init)
