// Bindings of the master (reference/master) and the transports (rigs): DUT links by URL with their
// capabilities and every byte tapped, the registry of schemes and capabilities, simulator
// processes, master operations, searches, pcap reading and writing.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "cmi6110_link.hpp"
#include "common.hpp"
#include "connection.hpp"
#include "metercert/master/search.hpp"
#include "metercert/rigs/capabilities.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/lwm2m_link.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/simulator_process.hpp"

namespace py = pybind11;
using namespace metercert;

namespace {

using bindings::as_bytes;
using bindings::Connection;
using bindings::from_bytes;

py::dict record_dict(const rigs::TapRecord& r) {
    py::dict d;
    d["link"] = std::string(rigs::link_kind_name(r.link));
    d["direction"] = std::string(rigs::direction_name(r.direction));
    d["channel"] = r.channel;
    d["flags"] = r.flags;
    d["baud"] = r.baud;
    d["wall_us"] = r.wall_us;
    d["bytes"] = as_bytes(r.bytes);
    return d;
}

py::dict scheme_dict(const rigs::LinkScheme& s) {
    py::dict d;
    d["name"] = s.name;
    d["form"] = s.form;
    d["summary"] = s.summary;
    py::dict params;
    for (const auto& p : s.params) params[py::str(p.name)] = p.meaning;
    d["params"] = params;
    d["offers"] = s.offers;
    d["simulator_process"] = static_cast<bool>(s.simulator);
    return d;
}

struct PyMaster {
    std::shared_ptr<Connection> conn;  // keeps the port alive
    master::Master m;
    PyMaster(std::shared_ptr<Connection> c, master::MasterSettings s) : conn(std::move(c)), m(conn->port("Master"), s) {}
};

py::dict counters_dict(const master::MasterCounters& c) {
    py::dict d;
    d["telegrams"] = c.telegrams;
    d["timeouts"] = c.timeouts;
    d["collisions"] = c.collisions;
    d["retries"] = c.retries;
    d["bus_ms"] = to_ms(c.bus);  // Python sees times as float ms
    return d;
}

py::dict found_dict(const master::FoundSlave& f) {
    py::dict d;
    d["secondary"] = f.address.to_string();
    d["id"] = fmt::format("{:08X}", f.address.id);
    d["manufacturer"] = f.address.manufacturer;
    d["version"] = f.address.version;
    d["medium"] = f.address.medium;
    d["primary"] = f.primary;
    d["frame"] = as_bytes(f.frame);
    return d;
}

py::dict scan_dict(const std::vector<master::FoundSlave>& found, const std::vector<std::string>& problems,
                   const master::MasterCounters& cost) {
    py::dict d;
    py::list f;
    for (const auto& s : found) f.append(found_dict(s));
    d["found"] = f;
    d["problems"] = problems;
    d["cost"] = counters_dict(cost);
    return d;
}

py::dict exchange_dict(const master::Exchange& ex) {
    py::dict d;
    d["outcome"] = std::string(master::outcome_name(ex.outcome));
    d["bytes"] = as_bytes(ex.bytes);
    d["reply_gap_ms"] = to_ms(ex.reply_gap);
    d["parity_error"] = ex.parity_error;
    d["error"] = ex.outcome == master::Exchange::Outcome::garbled ? ex.error.message() : std::string();
    return d;
}

}  // namespace

void bind_wmbus_connection(py::class_<bindings::Connection, std::shared_ptr<bindings::Connection>>& c);  // wmbus.cpp

void bind_master(py::module_& m) {
    static py::exception<master::MasterError> master_error(m, "MasterErrorBase");
    static py::exception<master::PortError> port_error(m, "PortErrorBase");
    static py::exception<rigs::DutError> dut_error(m, "DutErrorBase", PyExc_ValueError);
    static py::exception<rigs::SimulatorError> simulator_error(m, "SimulatorError", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const master::MasterError& e) {
            PyErr_SetObject(master_error.ptr(), py::make_tuple(e.name(), std::string(e.what())).ptr());
        } catch (const master::PortError& e) {
            PyErr_SetObject(port_error.ptr(), py::make_tuple(e.name(), std::string(e.what())).ptr());
        } catch (const rigs::MissingCapability& e) {
            PyErr_SetObject(dut_error.ptr(), py::make_tuple("no_capability", std::string(e.what())).ptr());
        } catch (const rigs::DutError& e) {
            PyErr_SetObject(dut_error.ptr(), py::make_tuple("bad_url", std::string(e.what())).ptr());
        } catch (const rigs::SimulatorError& e) {
            PyErr_SetString(simulator_error.ptr(), e.what());
        } catch (const rigs::PcapError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        }
    });

    py::class_<Connection, std::shared_ptr<Connection>> connection(m, "Connection",
        "Connection(url: str, pcap: str = '', executable: str = '')\n\n"
        "A DUT link opened by URL (rigs/include/metercert/rigs/dut_link.hpp; dut_link_schemes() lists\n"
        "the schemes): sim:cmi1020?count=N, sim:cme3000, sim:cme3100?fault=NAME, tcp://HOST:PORT,\n"
        "tcp-listen://HOST:PORT, serial:///dev/X?baud=2400, sim:cmi1020w?key=HEX, wmbus+hex:FILE. `url` is\n"
        "the URL with secrets redacted (key=<redacted>). `capabilities` says what it offers; each\n"
        "operation needs the capability of its interface (MissingCapability, a DutError, otherwise).\n"
        "Every byte is tapped after the link kind's redaction stage: records() returns them, and `pcap`\n"
        "names a capture file (link type 147; 148 for a link that only receives wireless M-Bus).\n"
        "`executable`: the metercert that runs simulator processes\n"
        "(sim:cme3000, sim:cme3100). Raises DutError (bad URL), PortError('connect_failed')\n"
        "(unreachable, or a simulator that did not start), OSError (pcap).");
    connection
        .def(py::init<const std::string&, const std::string&, const std::string&>(), py::arg("url"), py::arg("pcap") = "",
             py::arg("executable") = "")
        .def_property_readonly("url", [](const Connection& c) { return c.link->url(); })
        .def_property_readonly("description", [](const Connection& c) { return c.link->description(); })
        .def_property_readonly("capabilities", [](const Connection& c) {
                py::set out;
                for (const auto& cap : c.link->capabilities()) out.add(py::str(cap));
                return py::frozenset(out);
            }, "The capability names the link offers (frozenset): mbus.request, mbus.line, sim.cmi1020, …")
        .def_property_readonly("simulated", [](const Connection& c) {
                for (const auto& cap : c.link->capabilities())
                    if (cap.rfind("sim.", 0) == 0) return true;
                return false;
            }, "True when the DUT is one of metercert's simulators (a sim.* capability).")
        .def_property_readonly("release_s", [](const Connection& c) { return c.link->release_ms() / 1000.0; },
            "After close(), the time the device needs before it serves a new client (a gateway's one slot), s.")
        .def_property_readonly("slave_count", [](Connection& c) {
                auto* sim = c.link->sim_cmi1020();
                return sim ? sim->size() : 0;
            }, "sim.cmi1020: the number of simulated slaves (0 without).")
        .def("records", [](const Connection& c) {
                py::list out;
                for (const auto& r : c.memory.records) out.append(record_dict(r));
                return out;
            },
            "Every burst so far: dicts with link ('mbus'), direction ('to_dut'|'from_dut', relative to the\n"
            "DUT), channel, flags (1 parity error, 2 garbled, 4 redacted), baud, wall_us (µs since the\n"
            "epoch), bytes.")
        .def("clear_records", [](Connection& c) { c.memory.records.clear(); })
        .def("close", [](Connection& c) { c.link->close(); },
             "Release the device (a TCP connection is closed, a simulator process stopped); later operations\n"
             "raise PortError.")
        .def("now_ms", [](Connection& c) { return ms_since_epoch(c.port("now_ms").now()); },
             "mbus.request: the port's clock (ms, to the µs; simulated for sim:cmi1020: since the bus's power-on).")
        .def("idle", [](Connection& c, double ms) { c.port("idle").idle(bindings::duration_from_ms(ms, "idle")); }, py::arg("ms"),
             "mbus.request: let `ms` of bus time pass (simulated: the slaves' meter readouts run meanwhile).")
        .def("slave_state", [](Connection& c, std::size_t i) { return c.sim("slave_state").state_json(i); }, py::arg("index"),
             "sim.cmi1020: the EEPROM state of slave `index` as JSON (holds P1/P2: do not log it).")
        .def("power_cycle", [](Connection& c, std::size_t i) { c.sim("power_cycle").power_cycle(i); }, py::arg("index"),
             "sim.cmi1020: power-cycle slave `index` (RAM lost, EEPROM kept; CMi1020 §5.1).")
        .def("meter", [](Connection& c, std::size_t i) -> devices::E350& { return c.sim("meter").meter(i); },
             py::arg("index") = 0, py::return_value_policy::reference_internal,
             "sim.cmi1020: the E350 model slave `index` reads (metercert._core.E350).")
        .def("set_rate_inputs", [](Connection& c, std::size_t i, bool a, bool b) { c.sim("set_rate_inputs").set_rate_inputs(i, a, b); },
             py::arg("index"), py::arg("a"), py::arg("b"),
             "sim.cmi1020: the 230 VAC rate inputs A and B of slave `index` (CMi1020 §4.2.1, Table 2).")
        .def("set_button", [](Connection& c, std::size_t i, bool pressed) { c.sim("set_button").set_button(i, pressed); },
             py::arg("index"), py::arg("pressed"),
             "sim.cmi1020: the push button of slave `index` pressed (True) or released at the line's time (CMi1020\n"
             "§5.3: a press toggles the disconnector; §5.4: held from power-up ≥ 10 s, the factory defaults).")
        .def("simulator_messages", [](Connection& c) {
                auto* p = c.link->simulator();
                if (!p) throw rigs::MissingCapability(c.link->url(), "sim.cme3000 or sim.cme3100", "simulator_messages");
                return p->messages();
            }, "sim.cme3000, sim.cme3100: what the simulator process said on stderr so far.")
        // the CMi6110's interfaces: bindings/cmi6110.cpp
        .def("cmi6110_uplinks", [](Connection& c) { return bindings::cmi6110_uplinks(*c.link); },
             "cmi6110.uplinks: {'config': the module's §7.5 settings (the uplinks file's config line), 'uplinks':\n"
             "[{'time': UNIX s UTC, 'planned': T1 UNIX s or None, 'encoding': 'senml'|'mbus'|'json', 'payload': bytes,\n"
             "'readouts': n or None}]} in time order.")
        .def("cmi6110_sim", [](Connection& c, const py::object& params) { return bindings::cmi6110_sim(*c.link, params); },
             py::arg("params") = py::none(),
             "sim.cmi6110: the built-in module's run (params None) or a rerun with `params` (sim:cmi6110 URL parameters,\n"
             "None removes one; the URL's fault is kept): cmi6110_uplinks()'s dict plus 'start' (UNIX s, the meter's\n"
             "registers are 0 then), 'days', 'network_down' ((from, to) or None), 'fault', 'meter' (the UH50's\n"
             "power_w, flow_l_per_h, forward_decidegrees, return_decidegrees, errors), 'readouts_made',\n"
             "'missed_transmissions', 'unsent', 'power_mode' and 'final_mode' ('active'|'passive', at the start and\n"
             "the end), 'attached' (UNIX s of each attach after a power-up, activation or reboot: §5.3.5), 'attach_s'.\n"
             "DutError for a bad parameter.")
        .def("lwm2m_listen", [](Connection& c) {
                const rigs::Lwm2mListen& l = c.link->require_lwm2m_listen("lwm2m_listen");
                py::dict d;
                d["host"] = l.host;
                d["port"] = l.port;
                d["endpoint"] = l.endpoint;
                d["psk_id"] = l.psk_id ? py::cast(*l.psk_id) : py::none();
                d["psk"] = l.psk_id ? py::object(py::bytes(reinterpret_cast<const char*>(l.psk.data()), l.psk.size())) : py::none();
                d["bootstrap"] = l.bootstrap;
                d["reference_client"] = l.reference_client;
                d["client_fault"] = l.client_fault;
                d["client_lifetime_s"] = l.client_lifetime_s;
                d["gateway"] = l.gateway_host.empty() ? py::object(py::none()) : py::object(py::make_tuple(l.gateway_host, l.gateway_port));
                d["locked"] = l.locked;
                return d;
            },
            "coap.server: where the suite's LwM2M servers listen for the module (rigs/lwm2m_link.hpp): {'host', 'port'\n"
            "(0: any free one), 'endpoint', 'psk_id' (None: NoSec), 'psk' (bytes, a SECRET: hand it to Lwm2mServers,\n"
            "never print it), 'bootstrap', 'reference_client' (sim:cmi6110?network=1: start `simulate cmi6110\n"
            "--server` yourself), 'client_fault', 'client_lifetime_s', 'gateway' ((GWHOST, GWPORT) of lwm2m://…&gateway=, the\n"
            "address the uplink cases write into 33905/0/0; None: not given), 'locked' (locked=1: the module is locked\n"
            "through NFC, §7.2; the reference client gets --nfc-lock)}.");
    bind_wmbus_connection(connection);

    // The registry (rigs/include/metercert/rigs/dut_link.hpp, capabilities.hpp)
    m.def("capabilities", [] {
            py::dict out;
            for (const auto& c : rigs::capabilities()) {
                py::dict d;
                d["words"] = std::string(c.words);
                d["source"] = c.source == rigs::CapabilitySource::rig ? "rig" : "link";
                d["reserved"] = c.reserved;
                py::list by;
                for (const rigs::LinkScheme* s : rigs::link_schemes())
                    if (std::find(s->offers.begin(), s->offers.end(), c.name) != s->offers.end()) by.append(s->form);
                d["offered_by"] = by;
                out[py::str(std::string(c.name))] = d;
            }
            return out;
        },
        "Every capability name a case may need: {name: {words, source: 'link'|'rig', reserved, offered_by: [forms]}}.");
    m.def("dut_link_schemes", [] {
            py::list out;
            for (const rigs::LinkScheme* s : rigs::link_schemes()) out.append(scheme_dict(*s));
            return out;
        }, "Every registered DUT URL scheme: [{name, form, summary, params: {name: meaning}, offers, simulator_process}].");
    m.def("dut_link", [](const std::string& url) {
            const rigs::LinkInfo info = rigs::check_link(url);
            py::dict d = scheme_dict(*info.scheme);
            d["url"] = rigs::redact_url(url);
            d["capabilities"] = info.capabilities;
            d["target"] = info.url.target;
            py::dict query;
            for (const auto& [k, v] : info.url.params) query[py::str(k)] = rigs::is_secret_param(k) ? std::string("<redacted>") : v;
            d["query"] = query;
            return d;
        }, py::arg("url"),
        "What a link at `url` is and would offer, without opening it: the scheme's entry, plus url, target,\n"
        "query (the parameters) and capabilities; secret parameters (key=) as '<redacted>'. Raises DutError\n"
        "for a URL the registry refuses.");
    m.def("redact_url", [](const std::string& url) { return rigs::redact_url(url); }, py::arg("url"),
          "The URL as it may be shown: the value of every secret parameter (key, password, psk) replaced by\n"
          "'<redacted>' (rigs/include/metercert/rigs/dut_link.hpp).");

    py::class_<rigs::SimulatorProcess>(m, "SimulatorProcess",
        "SimulatorProcess(url: str, options: list[str] = [], executable: str = '')\n\n"
        "`metercert simulate DEVICE --listen tcp://127.0.0.1:0 OPTIONS…` as a child process for a process\n"
        "simulator URL (sim:cme3000, sim:cme3100: the URL's parameters become options, `options` are\n"
        "added; rigs/include/metercert/rigs/simulator_process.hpp). Ready when constructed: `url` is where\n"
        "it listens, `ready_json` its readiness line (the first line of its stdout: device, listen, identity),\n"
        "`messages` what it said on stderr. stop() ends it (SIGTERM, then SIGKILL). Raises\n"
        "DutError for a URL that names no simulator process, RuntimeError when it does not start.")
        .def(py::init([](const std::string& url, const std::vector<std::string>& options, const std::string& exe) {
                 auto cmd = rigs::simulator_command(url, options);
                 py::gil_scoped_release release;
                 return std::make_unique<rigs::SimulatorProcess>(exe.empty() ? rigs::default_simulator_executable() : exe,
                                                                 std::move(cmd));
             }),
             py::arg("url"), py::arg("options") = std::vector<std::string>{}, py::arg("executable") = "")
        .def_property_readonly("url", &rigs::SimulatorProcess::url)
        .def_property_readonly("ready_json", &rigs::SimulatorProcess::ready_json)
        .def_property_readonly("pid", &rigs::SimulatorProcess::pid)
        .def_property_readonly("device", [](const rigs::SimulatorProcess& p) { return p.command().device; })
        .def_property_readonly("options", [](const rigs::SimulatorProcess& p) { return p.command().options; })
        .def_property_readonly("messages", &rigs::SimulatorProcess::messages)
        .def_property_readonly("running", &rigs::SimulatorProcess::running)
        .def("stop", [](rigs::SimulatorProcess& p, double grace_s) {
                py::gil_scoped_release release;
                return p.stop(grace_s * 1000);
            }, py::arg("grace_s") = 10.0, "Stop it (SIGTERM; SIGKILL after grace_s); its exit status.");

    m.attr("TAP_REDACTED") = rigs::kTapRedacted;  // pcap/tap flag of a record whose secret bytes were replaced

    py::class_<PyMaster>(m, "Master",
        "Master(connection, response_timeout_ms=0, readout_retries=2, selection_retries=2,\n"
        "       init_idle_ms=50, collision_idle_ms=100, request_idle_ms=0, multi_telegram_limit=10)\n\n"
        "The M-Bus master of reference/master over a Connection. Settings: CMe3100 §6.25.2 Table 7\n"
        "(ms; response_timeout_ms 0 = EN 13757-2's 330 bit times + 50 ms) and §6.25.3. Failures raise\n"
        "MasterError(name: timeout | collision | bad_reply | nack) or PortError(name:\n"
        "connection_closed | port_lost | io_error); the master stays usable.")
        .def(py::init([](std::shared_ptr<Connection> c, double rt, unsigned rr, unsigned sr, double ii, double ci, double ri,
                         unsigned lim) {
                 return std::make_unique<PyMaster>(std::move(c), master::MasterSettings{
                     bindings::duration_from_ms(rt, "response_timeout_ms"), rr, sr, bindings::duration_from_ms(ii, "init_idle_ms"),
                     bindings::duration_from_ms(ci, "collision_idle_ms"), bindings::duration_from_ms(ri, "request_idle_ms"), lim});
             }),
             py::arg("connection"), py::arg("response_timeout_ms") = 0.0, py::arg("readout_retries") = 2u,
             py::arg("selection_retries") = 2u, py::arg("init_idle_ms") = 50.0, py::arg("collision_idle_ms") = 100.0,
             py::arg("request_idle_ms") = 0.0, py::arg("multi_telegram_limit") = 10u)
        .def("snd_nke", [](PyMaster& p, std::uint8_t a) { return p.m.snd_nke(a); }, py::arg("a"),
             "SND_NKE (10 40 A CS 16): True if ACKed, False on silence.")
        .def("read", [](PyMaster& p, std::uint8_t a) {
                const auto r = p.m.read(a);
                py::list tgs;
                for (const auto& t : r.telegrams) tgs.append(py::make_tuple(as_bytes(t.frame), to_ms(t.reply_gap)));
                return py::make_tuple(tgs, r.truncated);
            }, py::arg("a"),
            "REQ_UD2 multi-telegram readout -> ([(frame: bytes, reply_gap_ms: float), ...], truncated: bool).")
        .def("req_ud2", [](PyMaster& p, std::uint8_t a) { return as_bytes(p.m.req_ud2(a)); }, py::arg("a"),
             "One REQ_UD2 with the FCB state of `a` -> the RSP_UD frame.")
        .def("req_ud1", [](PyMaster& p, std::uint8_t a) { return as_bytes(p.m.req_ud1(a)); }, py::arg("a"))
        .def("snd_ud", [](PyMaster& p, std::uint8_t a, std::uint8_t ci, const py::bytes& data) { p.m.snd_ud(a, ci, from_bytes(data)); },
             py::arg("a"), py::arg("ci"), py::arg("data") = py::bytes(), "SND_UD with CI and user data; ACK expected.")
        .def("select", [](PyMaster& p, const std::string& mask) {
                const auto r = p.m.select(mbus::SecondaryMask::parse(mask));
                return r == master::SelectResult::none ? "none" : r == master::SelectResult::ack ? "ack" : "collision";
            }, py::arg("mask"), "Selection (CI 0x52) with 8 or 16 hex digits, F = any -> 'none' | 'ack' | 'collision'.")
        .def("select_exact", [](PyMaster& p, const std::string& mask) { p.m.select_exact(mbus::SecondaryMask::parse(mask)); },
             py::arg("mask"))
        .def("switch_baud", [](PyMaster& p, std::uint8_t a, unsigned baud) { p.m.switch_baud(a, baud); }, py::arg("a"), py::arg("baud"),
             "Baud switch (CI 0xB8+n): ACK at the old rate, then the port changes.")
        .def("exchange", [](PyMaster& p, const py::bytes& frame) { return exchange_dict(p.m.exchange(from_bytes(frame))); },
             py::arg("frame"),
             "Send any frame, get the reply window: {outcome: 'frame'|'timeout'|'garbled', bytes, reply_gap_ms,\n"
             "parity_error, error}. No retries, no validation: for conformance cases.")
        .def("set_port_baud", [](PyMaster& p, unsigned baud) { p.m.port().set_baud(baud); }, py::arg("baud"),
             "Change only the master's line rate (to talk to a slave that switched, or to check it did not).")
        .def_property_readonly("counters", [](const PyMaster& p) { return counters_dict(p.m.counters()); })
        .def_property_readonly("response_timeout_ms", [](const PyMaster& p) { return to_ms(p.m.response_timeout()); });

    m.def("search_secondary", [](PyMaster& p, const std::string& algorithm, const std::string& start) {
            const auto algo = algorithm == "baseline" ? master::SearchAlgorithm::baseline : master::SearchAlgorithm::adaptive;
            if (algorithm != "baseline" && algorithm != "adaptive") throw std::invalid_argument("algorithm: adaptive or baseline");
            const auto r = master::search_secondary(p.m, algo, mbus::SecondaryMask::parse(start));
            py::dict d = scan_dict(r.found, r.problems, r.cost);
            d["probes"] = r.probes;
            return d;
        }, py::arg("master"), py::arg("algorithm") = "adaptive", py::arg("start") = "FFFFFFFF",
        "Secondary address search (reference/master/search.hpp) -> {found: [{secondary, id, manufacturer,\n"
        "version, medium, primary, frame}], problems: [str], cost: {telegrams, timeouts, collisions,\n"
        "retries, bus_ms}, probes}.");
    m.def("scan_primary", [](PyMaster& p, std::uint8_t first, std::uint8_t last) {
            const auto r = master::scan_primary(p.m, first, last);
            return scan_dict(r.found, r.problems, r.cost);
        }, py::arg("master"), py::arg("first") = 0, py::arg("last") = 250,
        "Primary scan (SND_NKE then REQ_UD2 on each address) -> {found, problems, cost}.");
    py::class_<rigs::PcapWriter>(m, "PcapWriter",
        "PcapWriter(path: str, link: str = 'mbus')\n\nA capture file of one link kind (its pcap link type: mbus 147, wmbus 148;\n"
        "rigs/include/metercert/rigs/pcap.hpp), flushed after every packet. Raises OSError when the file\n"
        "cannot be written, or a record is of another link kind.")
        .def(py::init([](const std::string& path, const std::string& link) {
                 const auto k = rigs::link_kind_from_name(link);
                 if (!k) throw std::invalid_argument("PcapWriter: link '" + link + "' is no link kind (mbus, wmbus)");
                 return std::make_unique<rigs::PcapWriter>(path, *k);
             }),
             py::arg("path"), py::arg("link") = "mbus")
        .def("record", [](rigs::PcapWriter& w, const py::dict& r) {
                rigs::TapRecord t;
                const std::string dir = r["direction"].cast<std::string>();
                const auto d = rigs::direction_from_name(dir);
                if (!d) throw std::invalid_argument("record: direction '" + dir + "' (expected to_dut or from_dut)");
                t.direction = *d;
                const std::string kind = r.contains("link") ? r["link"].cast<std::string>() : "mbus";
                const auto k = rigs::link_kind_from_name(kind);
                if (!k) throw std::invalid_argument("record: link '" + kind + "' is no link kind (mbus, wmbus)");
                t.link = *k;
                t.channel = r.contains("channel") ? r["channel"].cast<std::uint8_t>() : 0;
                t.flags = r.contains("flags") ? r["flags"].cast<std::uint8_t>() : 0;
                t.baud = r.contains("baud") ? r["baud"].cast<std::uint32_t>() : 0;
                t.wall_us = r["wall_us"].cast<std::int64_t>();
                t.bytes = from_bytes(r["bytes"].cast<py::bytes>());
                w.record(t);
            }, py::arg("record"), "Append one burst, a dict as Connection.records() gives.")
        .def_property_readonly("written", &rigs::PcapWriter::written);
    m.def("read_pcap", [](const std::string& path, std::uint16_t port) {
            py::list out;
            for (const auto& r : rigs::read_pcap(path, port)) out.append(record_dict(r));
            return out;
        }, py::arg("path"), py::arg("tcp_port") = 10001,
        "Bursts of a capture (our link type 147, or TCP on `tcp_port` in an Ethernet/SLL/IPv4 capture),\n"
        "as Connection.records() gives them (link 'mbus', direction 'to_dut'|'from_dut'). Raises OSError\n"
        "naming the file and packet.");
}
