// metercert._core.Lwm2mServers: the suite's LwM2M Bootstrap-Server, DM server and MQTT-SN gateway
// (rigs/include/metercert/rigs/lwm2m/server.hpp) for Python. Their I/O runs on a background thread
// of the C++ side; every waiting call releases the GIL. Results are dicts; PSKs are never in a
// repr, a result or an error.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "common.hpp"
#include "metercert/mqttsn/packet.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/coap/coap.hpp"
#include "metercert/rigs/lwm2m/server.hpp"

namespace py = pybind11;
using namespace metercert::rigs::lwm2m;
namespace coap = metercert::rigs::coap;
namespace lw = metercert::lwm2m;
using metercert::bindings::as_bytes;
using metercert::bindings::from_bytes;

namespace {

py::object opt(const auto& o) { return o ? py::cast(*o) : py::none(); }

// Text a client sent (a string resource, a decoder's message quoting it): not necessarily UTF-8,
// so decoded with U+FFFD for bad bytes instead of raising UnicodeDecodeError out of a result.
py::str text(const std::string& s) {
    return py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"));
}

py::object value_of(const lw::Value& v) {
    return std::visit(
        [](const auto& x) -> py::object {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, lw::Bytes>) return as_bytes(x);
            else if constexpr (std::is_same_v<T, lw::ObjectLink>) return py::make_tuple(x.object, x.instance);
            else if constexpr (std::is_same_v<T, std::string>) return text(x);
            else return py::cast(x);
        },
        v);
}

py::dict result_dict(const OperationResult& r) {
    py::dict d;
    d["status"] = r.status;
    d["code"] = r.code ? py::cast(coap::code_name(r.code)) : py::none();
    d["content_format"] = opt(r.content_format);
    d["payload"] = as_bytes(r.payload);
    d["observe"] = opt(r.observe);
    d["at_us"] = r.at_us;
    d["wall_us"] = r.wall_us;
    d["decoded"] = r.decoded;
    d["decode_error"] = text(r.decode_error);
    py::dict values;
    for (const auto& e : r.entries) values[py::str(lw::to_string(e.path))] = value_of(e.value);
    d["values"] = values;
    py::list links;
    for (const auto& l : r.links) {
        py::dict params;
        for (const auto& p : l.params) params[py::str(p.name)] = opt(p.value);
        links.append(py::make_tuple(l.target, params));
    }
    d["links"] = links;
    return d;
}

py::dict registration_dict(const Registration& r, std::int64_t now) {
    py::dict d;
    d["id"] = r.id;
    d["location"] = "/rd/" + r.id;
    d["endpoint"] = r.endpoint;
    d["lifetime_s"] = r.lifetime_s;
    d["lwm2m"] = opt(r.query.lwm2m);
    d["binding"] = opt(r.query.binding);
    d["queue_mode"] = r.query.queue_mode;
    d["links"] = r.links;
    d["objects"] = r.objects;
    d["registered_at_us"] = r.registered_at_us;
    d["registered_wall_us"] = r.registered_wall_us;
    d["updates_at_us"] = r.updates_at_us;
    d["last_at_us"] = r.last_at_us;
    d["deregistered"] = r.deregistered;
    d["deregistered_at_us"] = r.deregistered_at_us;
    d["expired"] = r.expired(now);
    d["peer"] = r.peer;
    d["psk_identity"] = r.psk_identity;
    d["discarded_at_us"] = r.discarded_at_us;
    d["refused_updates_at_us"] = r.refused_updates_at_us;
    return d;
}

py::dict exchange_dict(const Exchange& e) {
    py::dict d;
    d["server"] = e.server;
    d["endpoint"] = e.endpoint;
    d["direction"] = e.direction;
    d["operation"] = e.operation;
    d["method"] = e.method;
    d["path"] = e.path;
    d["query"] = e.query;
    d["request_format"] = opt(e.request_format);
    d["request_payload"] = as_bytes(e.request_payload);
    d["status"] = e.status;
    d["code"] = e.code ? py::cast(coap::code_name(e.code)) : py::none();
    d["content_format"] = opt(e.content_format);
    d["payload"] = as_bytes(e.payload);
    d["at_us"] = e.at_us;
    d["wall_us"] = e.wall_us;
    d["reply_at_us"] = e.reply_at_us;
    d["peer"] = e.peer;
    d["psk_identity"] = e.psk_identity;
    return d;
}

BootstrapStep step_of(const py::dict& d) {
    BootstrapStep s;
    const std::string kind = d.contains("kind") ? py::cast<std::string>(d["kind"]) : "";
    if (kind == "delete") s.kind = BootstrapStep::Kind::delete_;
    else if (kind == "write") s.kind = BootstrapStep::Kind::write;
    else if (kind == "discover") s.kind = BootstrapStep::Kind::discover;
    else if (kind == "read") s.kind = BootstrapStep::Kind::read;
    else if (kind == "finish") s.kind = BootstrapStep::Kind::finish;
    else throw py::value_error(fmt::format("bootstrap step kind '{}': one of delete, write, discover, read, finish", kind));
    if (d.contains("path")) s.path = py::cast<std::string>(d["path"]);
    if (d.contains("content_format")) s.content_format = py::cast<std::uint16_t>(d["content_format"]);
    if (d.contains("payload")) s.payload = from_bytes(py::cast<py::bytes>(d["payload"]));
    if (d.contains("accept") && !d["accept"].is_none()) s.accept = py::cast<std::uint16_t>(d["accept"]);
    if (s.kind != BootstrapStep::Kind::delete_ && s.kind != BootstrapStep::Kind::finish && !lw::parse_path(s.path))
        throw py::value_error(fmt::format("bootstrap step {}: '{}' is not an LwM2M path", kind, s.path));
    return s;
}

coap::Millis ms(double v, const char* what) {
    return std::chrono::duration_cast<coap::Millis>(metercert::bindings::duration_from_ms(v, what));
}

}  // namespace

void bind_lwm2m(py::module_& m) {
    py::register_exception<ServersError>(m, "Lwm2mServersError", PyExc_RuntimeError);
    py::register_exception<coap::CoapError>(m, "CoapError", PyExc_OSError);

    py::class_<Servers>(m, "Lwm2mServers",
                        "Lwm2mServers(bootstrap=True, dm=True, mqttsn=False, dtls=False, psks=None, address='127.0.0.1',\n"
                        "             bootstrap_port=0, dm_port=0, mqttsn_port=0, bootstrap_sequence=None, pcap_dir=None,\n"
                        "             lifetime_ms=600000, gateway=None, keylog_file=None, refuse_registers=0, record_limit=0,\n"
                        "             mqttsn_dtls=False)\n\n"
                        "The suite's LwM2M Bootstrap-Server (TS 1.1 §6.1, §5.2.7), DM server (§6.2, §5.3, §5.4, §5.5) and\n"
                        "MQTT-SN 1.2 gateway, on one background I/O thread; every datagram through a UDP tap\n"
                        "(pcap_dir: bootstrap.pcap, dm.pcap, mqttsn.pcap, LINKTYPE_IPV4). Ports are the taps' (0 = free).\n"
                        "dtls: DTLS 1.2 PSK on both LwM2M servers, psks {identity: key bytes} (never shown anywhere).\n"
                        "bootstrap_sequence: [{'kind': 'delete'|'write'|'discover'|'read'|'finish', 'path': '/0/1',\n"
                        "'content_format': 11542, 'payload': b'…', 'accept': None}], sent after a Bootstrap-Request\n"
                        "(default: finish only). gateway: {'withhold_pubacks': N, 'withhold_all_pubacks': bool,\n"
                        "'gw_id': 1, 'first_topic_id': 1}. Stops by itself after lifetime_ms. Times: *_at_us monotonic\n"
                        "µs, *_wall_us µs since the Unix epoch. keylog_file: ONLY on request, the DTLS session secrets for\n"
                        "tshark (NSS key log, 0600, process-wide; tls.keylog_file). refuse_registers: the first N Registers\n"
                        "are answered 4.03 Forbidden (TS 1.1 §5.3.1; fallback to bootstrap, int-7).\n"
                        "record_limit: 0 (default) keeps every record; N > 0 (long soaks) keeps of exchanges(), datagrams() (per server) and\n"
                        "uplinks() at least the last N and at most 2N (the oldest dropped in batches) and of registrations() every\n"
                        "live one and at least the last N ended ones; counters() stays exact, pcap_dir still gets every datagram.\n"
                        "mqttsn_dtls: the MQTT-SN gateway accepts only DTLS 1.2 PSK sessions (rigs/dtls; identities and keys\n"
                        "from psks; CMi6110 Table 2 33905/x/2 = 0 'PSK mode', ERRATA E-134, E-147); clear datagrams are dropped\n"
                        "(mqttsn_dtls_events() 'not_dtls'); mqttsn.pcap holds the encrypted records.\n"
                        "Raises Lwm2mServersError, CoapError (bind).")
        .def(py::init([](bool bootstrap, bool dm, bool mqttsn, bool dtls, const py::object& psks, const std::string& address,
                         std::uint16_t bootstrap_port, std::uint16_t dm_port, std::uint16_t mqttsn_port, const py::object& sequence,
                         const py::object& pcap_dir, double lifetime_ms, const py::object& gateway, const py::object& keylog_file,
                         unsigned refuse_registers, std::size_t record_limit, bool mqttsn_dtls) {
                 Servers::Options o;
                 o.mqttsn_dtls = mqttsn_dtls;
                 o.bootstrap = bootstrap;
                 o.dm = dm;
                 o.mqttsn = mqttsn;
                 o.dtls = dtls;
                 o.address = address;
                 o.bootstrap_port = bootstrap_port;
                 o.dm_port = dm_port;
                 o.mqttsn_port = mqttsn_port;
                 if (!psks.is_none())
                     for (auto [k, v] : py::cast<py::dict>(psks)) o.psks[py::cast<std::string>(k)] = from_bytes(py::cast<py::bytes>(v));
                 o.refuse_registers = refuse_registers;
                 o.record_limit = record_limit;
                 if (!sequence.is_none())
                     for (auto s : py::cast<py::list>(sequence)) o.bootstrap_sequence.push_back(step_of(py::cast<py::dict>(s)));
                 if (!pcap_dir.is_none()) o.pcap_dir = py::cast<std::string>(py::str(pcap_dir));
                 if (!keylog_file.is_none()) o.keylog_path = py::cast<std::string>(py::str(keylog_file));
                 o.lifetime = ms(lifetime_ms, "lifetime_ms");
                 if (!gateway.is_none()) {
                     auto g = py::cast<py::dict>(gateway);
                     if (g.contains("withhold_pubacks")) o.gateway.withhold_pubacks = py::cast<unsigned>(g["withhold_pubacks"]);
                     if (g.contains("withhold_all_pubacks")) o.gateway.withhold_all_pubacks = py::cast<bool>(g["withhold_all_pubacks"]);
                     if (g.contains("gw_id")) o.gateway.gw_id = py::cast<std::uint8_t>(g["gw_id"]);
                     if (g.contains("first_topic_id")) o.gateway.first_topic_id = py::cast<std::uint16_t>(g["first_topic_id"]);
                 }
                 return std::make_unique<Servers>(std::move(o));  // CoapError names address/port, never a key
             }),
             py::arg("bootstrap") = true, py::arg("dm") = true, py::arg("mqttsn") = false, py::arg("dtls") = false,
             py::arg("psks") = py::none(), py::arg("address") = "127.0.0.1", py::arg("bootstrap_port") = 0, py::arg("dm_port") = 0,
             py::arg("mqttsn_port") = 0, py::arg("bootstrap_sequence") = py::none(), py::arg("pcap_dir") = py::none(),
             py::arg("lifetime_ms") = 600000.0, py::arg("gateway") = py::none(), py::arg("keylog_file") = py::none(),
             py::arg("refuse_registers") = 0u, py::arg("record_limit") = static_cast<std::size_t>(0),
             py::arg("mqttsn_dtls") = false)
        .def_property_readonly("bootstrap_port", &Servers::bootstrap_port)
        .def_property_readonly("dm_port", &Servers::dm_port)
        .def_property_readonly("mqttsn_port", &Servers::mqttsn_port)
        .def_property_readonly("dtls", &Servers::dtls)
        .def("__repr__",
             [](const Servers& s) {
                 return fmt::format("Lwm2mServers({}, bootstrap_port={}, dm_port={}, mqttsn_port={})", s.dtls() ? "DTLS-PSK" : "NoSec",
                                    s.bootstrap_port(), s.dm_port(), s.mqttsn_port());
             })
        .def(
            "wait_registration",
            [](Servers& s, const std::string& ep, double timeout_ms) -> py::object {
                std::optional<Registration> r;
                {
                    py::gil_scoped_release release;
                    r = s.wait_registration(ep, ms(timeout_ms, "timeout_ms"));
                }
                return r ? py::object(registration_dict(*r, metercert::rigs::monotonic_now().time_since_epoch().count())) : py::none();
            },
            py::arg("endpoint"), py::arg("timeout_ms") = 10000.0,
            "wait_registration(endpoint, timeout_ms=10000) -> dict | None — the endpoint's current registration\n"
            "(TS 1.1 §5.3.1): id, location '/rd/<id>', lifetime_s, lwm2m, binding, links, objects, times, expired.")
        .def(
            "wait_bootstrap",
            [](Servers& s, const std::string& ep, double timeout_ms) {
                py::gil_scoped_release release;
                return s.wait_bootstrap(ep, ms(timeout_ms, "timeout_ms"));
            },
            py::arg("endpoint"), py::arg("timeout_ms") = 10000.0,
            "wait_bootstrap(endpoint, timeout_ms=10000) -> bool — the bootstrap sequence for endpoint has ended.")
        .def("registrations",
             [](const Servers& s) {
                 py::list out;
                 const auto now = metercert::rigs::monotonic_now().time_since_epoch().count();
                 for (const auto& r : s.registrations()) out.append(registration_dict(r, now));
                 return out;
             },
             "registrations() -> list[dict] — every registration so far (replaced and de-registered ones too);\n"
             "'expired' is true when no Update came within lifetime_s of the Register or last Update (TS 1.1 §6.2.2).")
        .def("exchanges",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& e : s.exchanges()) out.append(exchange_dict(e));
                 return out;
             },
             "exchanges() -> list[dict] — every request and answer: server ('bootstrap'|'dm'), endpoint, direction\n"
             "('from_client'|'to_client'), operation, method, path, query, status, code ('2.05'|None), content_format,\n"
             "payload, at_us, reply_at_us, wall_us, peer, psk_identity.")
        .def(
            "read",
            [](Servers& s, const std::string& ep, const std::string& path, std::optional<std::uint16_t> accept, double t) {
                OperationResult r;
                {
                    py::gil_scoped_release release;
                    r = s.read(ep, path, accept, ms(t, "timeout_ms"));
                }
                return result_dict(r);
            },
            py::arg("endpoint"), py::arg("path"), py::arg("accept") = py::none(), py::arg("timeout_ms") = 10000.0,
            "read(endpoint, path, accept=None, timeout_ms=10000) -> dict — Read (TS 1.1 §5.4.1, GET with Accept):\n"
            "{status: 'ok'|'timeout'|'no_ack'|'reset'|…, code: '2.05'|None, content_format, payload: bytes, values:\n"
            "{'/3/0/0': 'Open Mobile Alliance', …} (decoded by metercert.lwm2m against the CMi6110 model when it decodes),\n"
            "decoded, decode_error, links, observe, at_us, wall_us}. Raises Lwm2mServersError (not registered, bad path).")
        .def(
            "write",
            [](Servers& s, const std::string& ep, const std::string& path, const py::bytes& payload, std::uint16_t cf, bool replace,
               double t) {
                const auto body = from_bytes(payload);
                OperationResult r;
                {
                    py::gil_scoped_release release;
                    r = s.write(ep, path, cf, body, replace, ms(t, "timeout_ms"));
                }
                return result_dict(r);
            },
            py::arg("endpoint"), py::arg("path"), py::arg("payload"), py::arg("content_format") = 11542, py::arg("replace") = true,
            py::arg("timeout_ms") = 10000.0,
            "write(endpoint, path, payload, content_format=11542, replace=True, timeout_ms=10000) -> dict — Write\n"
            "(TS 1.1 §5.4.3): PUT (replace) or POST (partial update). Result as read().")
        .def(
            "execute",
            [](Servers& s, const std::string& ep, const std::string& path, const std::string& args, double t) {
                OperationResult r;
                {
                    py::gil_scoped_release release;
                    r = s.execute(ep, path, args, ms(t, "timeout_ms"));
                }
                return result_dict(r);
            },
            py::arg("endpoint"), py::arg("path"), py::arg("arguments") = "", py::arg("timeout_ms") = 10000.0,
            "execute(endpoint, path, arguments='', timeout_ms=10000) -> dict — Execute (TS 1.1 §5.4.5): POST with the\n"
            "arguments as a text payload (\"0='x',1\"). Result as read().")
        .def(
            "discover",
            [](Servers& s, const std::string& ep, const std::string& path, double t) {
                OperationResult r;
                {
                    py::gil_scoped_release release;
                    r = s.discover(ep, path, ms(t, "timeout_ms"));
                }
                return result_dict(r);
            },
            py::arg("endpoint"), py::arg("path"), py::arg("timeout_ms") = 10000.0,
            "discover(endpoint, path, timeout_ms=10000) -> dict — Discover (TS 1.1 §5.4.2: GET, Accept 40); 'links'\n"
            "[(target, {param: value})] parsed from the link format. Result as read().")
        .def(
            "write_attributes",
            [](Servers& s, const std::string& ep, const std::string& path, const std::vector<std::string>& options, double t) {
                OperationResult r;
                {
                    py::gil_scoped_release release;
                    r = s.write_attributes(ep, path, options, ms(t, "timeout_ms"));
                }
                return result_dict(r);
            },
            py::arg("endpoint"), py::arg("path"), py::arg("options"), py::arg("timeout_ms") = 10000.0,
            "write_attributes(endpoint, path, options, timeout_ms=10000) -> dict — Write-Attributes (TS 1.1 §5.4.4: PUT\n"
            "with Uri-Query options ['pmin=10', 'gt=20.5', 'pmax']). Result as read().")
        .def(
            "observe",
            [](Servers& s, const std::string& ep, const std::string& path, std::optional<std::uint16_t> accept, double t) {
                py::gil_scoped_release release;
                return s.observe(ep, path, accept, ms(t, "timeout_ms"));
            },
            py::arg("endpoint"), py::arg("path"), py::arg("accept") = py::none(), py::arg("timeout_ms") = 10000.0,
            "observe(endpoint, path, accept=None, timeout_ms=10000) -> int — Observe (TS 1.1 §5.5.1, RFC 7641: GET with\n"
            "Observe 0); waits for the first response; returns the observation's id (observations()[id]).")
        .def("cancel_observe", &Servers::cancel_observe, py::arg("id"),
             "cancel_observe(id) -> bool — Cancel Observation (TS 1.1 §5.5.3; RFC 7641 §3.6 GET with Observe 1).")
        .def("observations",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& o : s.observations()) {
                     py::dict d;
                     d["endpoint"] = o.endpoint;
                     d["path"] = o.path;
                     d["active"] = o.active;
                     d["token"] = as_bytes(o.token);
                     py::list n;
                     for (const auto& r : o.notifications) n.append(result_dict(r));
                     d["notifications"] = n;
                     py::list a;
                     for (const auto& r : o.after_cancel) a.append(result_dict(r));
                     d["after_cancel"] = a;
                     out.append(d);
                 }
                 return out;
             },
             "observations() -> list[dict] — {endpoint, path, active, token (the CoAP token, to find its datagrams),\n"
             "notifications: [result as read(), first included; none after cancel_observe: later ones are only in datagrams()],\n"
             "after_cancel: [result as read(): notifications with the token that came after cancel_observe, each answered RST]}.")
        .def(
            "add_tap_fault",
            [](Servers& s, const std::string& server, const std::string& action, const std::string& flow, unsigned first, unsigned count,
               double delay_ms) {
                coap::TapFault f;
                if (action == "drop") f.action = coap::TapFault::Action::drop;
                else if (action == "delay") f.action = coap::TapFault::Action::delay;
                else throw py::value_error("add_tap_fault: action must be 'drop' or 'delay'");
                if (flow == "to_upstream") f.flow = coap::Flow::to_upstream;
                else if (flow == "to_peer") f.flow = coap::Flow::to_peer;
                else throw py::value_error("add_tap_fault: flow must be 'to_upstream' (from the client) or 'to_peer'");
                if (first < 1 || count < 1) throw py::value_error("add_tap_fault: first and count are ≥ 1");
                f.first = first;
                f.count = count;
                f.delay = ms(delay_ms, "delay_ms");
                s.add_tap_fault(server, std::move(f));
            },
            py::arg("server") = "dm", py::arg("action") = "drop", py::arg("flow") = "to_upstream", py::arg("first") = 1,
            py::arg("count") = 1, py::arg("delay_ms") = 0.0,
            "add_tap_fault(server='dm', action='drop'|'delay', flow='to_upstream'|'to_peer', first=1, count=1, delay_ms=0)\n"
            "— from now on the tap of `server` drops (or delays by delay_ms) the datagrams number first … first+count-1 of\n"
            "the flow ('to_upstream': from a client; RFC 7252 §4.2 retransmission cases). datagrams() marks them dropped.")
        .def("datagrams",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& [server, d] : s.datagrams()) {
                     py::dict x;
                     x["server"] = server;
                     x["at_us"] = d.at.time_since_epoch().count();
                     x["wall_us"] = d.wall_us;
                     x["flow"] = coap::flow_name(d.flow);
                     x["peer"] = d.peer.str();
                     x["bytes"] = as_bytes(d.bytes);
                     x["dropped"] = d.dropped;
                     out.append(x);
                 }
                 return out;
             },
             "datagrams() -> list[dict] — every datagram the taps saw, in time order: server ('bootstrap'|'dm'|'mqttsn'),\n"
             "flow ('to_upstream' from a client | 'to_peer'), peer, bytes, at_us, wall_us, dropped.")
        .def("uplinks",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& g : s.uplinks()) {
                     const auto& u = g.uplink;
                     py::dict x;
                     x["at_us"] = u.at.time_since_epoch().count();
                     x["wall_us"] = g.wall_us;
                     x["peer"] = u.peer;
                     x["size"] = u.size;
                     x["type"] = u.type ? py::cast(std::string(metercert::mqttsn::type_name(*u.type))) : py::none();
                     x["error"] = u.error;
                     x["client_id"] = u.client_id;
                     x["in_session"] = u.in_session;
                     x["msg_id"] = u.msg_id;
                     x["dup"] = u.dup;
                     x["qos"] = u.qos == metercert::mqttsn::QoS::minus1 ? -1 : static_cast<int>(u.qos);
                     x["retain"] = u.retain;
                     x["topic_id"] = u.topic_id;
                     x["topic"] = u.topic;
                     x["data"] = as_bytes(u.data);
                     x["summary"] = u.summary;
                     x["psk_identity"] = g.psk_identity;
                     out.append(x);
                 }
                 return out;
             },
             "uplinks() -> list[dict] — every MQTT-SN datagram from a client as the gateway saw it (MQTT-SN 1.2 §5.4):\n"
             "type ('PUBLISH'…|None undecodable), msg_id, dup, qos (-1…2), topic_id, topic, data, client_id, times,\n"
             "psk_identity (the DTLS session's identity with mqttsn_dtls, else '').")
        .def("mqttsn_dtls_events",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& e : s.mqttsn_dtls_events()) {
                     py::dict x;
                     x["event"] = e.event;
                     x["peer"] = e.peer;
                     x["identity"] = e.identity;
                     x["cipher"] = e.cipher;
                     x["reason"] = e.reason;
                     x["handshake_ms"] = e.handshake_ms;
                     x["at_us"] = e.at_us;
                     out.append(x);
                 }
                 return out;
             },
             "mqttsn_dtls_events() -> list[dict] — with mqttsn_dtls, the gateway's DTLS sessions in order: event\n"
             "('established'|'handshake_failed'|'handshake_timeout'|'closed'|'not_dtls' a clear datagram dropped|\n"
             "'cookie_sent' RFC 6347 §4.2.1), peer, identity, cipher, reason, handshake_ms, at_us. Never a key.")
        .def("findings",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& f : s.findings()) {
                     py::dict x;
                     x["violation"] = std::string(metercert::mqttsn::violation_name(f.violation));
                     x["at_us"] = f.at.time_since_epoch().count();
                     x["peer"] = f.peer;
                     x["uplink"] = f.uplink;
                     x["detail"] = f.detail;
                     out.append(x);
                 }
                 return out;
             },
             "findings() -> list[dict] — the gateway's named MQTT-SN violations (metercert::mqttsn::Violation).")
        .def("refuse_bootstraps", &Servers::refuse_bootstraps, py::arg("n"),
             "refuse_bootstraps(n) — the next n Bootstrap-Requests are answered 4.03 Forbidden: a module that reaches no\n"
             "Bootstrap-Server, e.g. after a change to a wrong APN (CMi6110 §6.4; ERRATA E-128).")
        .def("discard", &Servers::discard, py::arg("endpoint"), py::call_guard<py::gil_scoped_release>(),
             "discard(endpoint) -> bool — the DM server discards endpoint's registration (OMA ETS LightweightM2M-1.1-int-105):\n"
             "its next Update is answered 4.04 Not Found (TS 1.1 §6.2.2) and ends it; until then DM operations still reach\n"
             "the client (Execute 1/1/8 triggers that Update). The registration's dict records discarded_at_us and\n"
             "refused_updates_at_us (µs, monotonic). False when endpoint is not registered.")

        .def(
            "set_gateway",
            [](Servers& s, unsigned withhold_pubacks, bool withhold_all_pubacks) {
                py::gil_scoped_release nogil;
                return s.set_puback_withholding(withhold_pubacks, withhold_all_pubacks);
            },
            py::arg("withhold_pubacks") = 0u, py::arg("withhold_all_pubacks") = false,
            "set_gateway(withhold_pubacks=0, withhold_all_pubacks=False) -> bool — the MQTT-SN gateway's PUBACK knobs from the\n"
            "next datagram on (no PUBACK to the first N sends of each PUBLISH / to none; MQTT-SN 1.2 §6.13 makes the client\n"
            "retransmit); False when the servers have stopped.")

        .def("counters",
             [](const Servers& s) {
                 const auto c = s.counters();
                 py::dict x;
                 x["datagrams_bootstrap"] = c.datagrams_bootstrap;
                 x["datagrams_dm"] = c.datagrams_dm;
                 x["datagrams_mqttsn"] = c.datagrams_mqttsn;
                 x["exchanges"] = c.exchanges;
                 x["registers"] = c.registers;
                 x["updates"] = c.updates;
                 x["deregisters"] = c.deregisters;
                 x["uplinks"] = c.uplinks;
                 x["publishes"] = c.publishes;
                 x["publish_dups"] = c.publish_dups;
                 x["last_register_at_us"] = c.last_register_at_us;
                 x["sends"] = c.sends;
                 return x;
             },
             "counters() -> dict — exact running totals since start (rigs/lwm2m/server.hpp ServerCounters): datagrams_bootstrap,\n"
             "datagrams_dm, datagrams_mqttsn (both directions, per tap), exchanges, registers / updates / deregisters (answered\n"
             "2.01 / 2.04 / 2.02), uplinks (MQTT-SN datagrams from clients), publishes (PUBLISH DUP 0) and publish_dups (DUP 1),\n"
             "last_register_at_us (monotonic µs, 0: none), sends (LwM2M Send requests, POST /dp). Exact also when the C++\n"
             "Options::record_limit caps the kept records.")
        .def("sends",
             [](const Servers& s) {
                 py::list out;
                 for (const auto& e : s.exchanges()) {
                     if (e.server != "dm" || e.operation != "send") continue;
                     py::dict x;
                     x["endpoint"] = e.endpoint;
                     x["content_format"] = opt(e.request_format);
                     x["payload"] = as_bytes(e.request_payload);
                     x["code"] = e.code ? py::cast(coap::code_name(e.code)) : py::none();
                     x["at_us"] = e.at_us;
                     x["wall_us"] = e.wall_us;
                     x["peer"] = e.peer;
                     x["psk_identity"] = e.psk_identity;
                     out.append(x);
                 }
                 return out;
             },
             "sends() -> list[dict] — every LwM2M 1.1 Send the DM server got (TS 1.1 Core §5.6.3, Transport §6.4: POST /dp),\n"
             "in order: endpoint (the registration of the session it came on; '' none: answered 4.00), content_format (112\n"
             "SenML-CBOR, 110 SenML-JSON, None without the option), payload (bytes as received, not decoded), code ('2.04' |\n"
             "'4.00'), at_us (monotonic µs), wall_us (µs since the Unix epoch), peer, psk_identity. Also in exchanges() as\n"
             "operation 'send'.")
        .def("stop", &Servers::stop, py::call_guard<py::gil_scoped_release>(), "stop() — stops the I/O thread and the taps (idempotent).");
}
