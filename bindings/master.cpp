// Bindings of the master (reference/master) and the transports (rigs): connections to a DUT by
// URL with every byte tapped, master operations, searches, pcap reading.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>

#include <fmt/format.h>

#include "common.hpp"
#include "metercert/master/search.hpp"
#include "metercert/rigs/dut.hpp"
#include "metercert/rigs/pcap.hpp"

namespace py = pybind11;
using namespace metercert;

namespace {

using bindings::as_bytes;
using bindings::from_bytes;

py::dict record_dict(const rigs::TapRecord& r) {
    py::dict d;
    d["direction"] = r.direction == rigs::Direction::master_to_slave ? "master_to_slave" : "slave_to_master";
    d["channel"] = r.channel;
    d["flags"] = r.flags;
    d["baud"] = r.baud;
    d["wall_us"] = r.wall_us;
    d["bytes"] = as_bytes(r.bytes);
    return d;
}

// A DUT opened by URL, its bytes tapped into memory (and a pcap file when asked).
struct Connection {
    rigs::MemoryTap memory;
    rigs::TeeTap tee;
    std::unique_ptr<rigs::PcapWriter> pcap;
    rigs::Dut dut;
    Connection(const std::string& url, const std::string& pcap_path) {
        tee.add(&memory);
        if (!pcap_path.empty()) {
            pcap = std::make_unique<rigs::PcapWriter>(pcap_path);
            tee.add(pcap.get());
        }
        dut = rigs::open_dut(url, std::string(kDefaultE350Readout, kDefaultE350ReadoutSize), &tee);
    }
};

struct PyMaster {
    std::shared_ptr<Connection> conn;  // keeps the port alive
    master::Master m;
    PyMaster(std::shared_ptr<Connection> c, master::MasterSettings s) : conn(std::move(c)), m(*conn->dut.port, s) {}
};

py::dict counters_dict(const master::MasterCounters& c) {
    py::dict d;
    d["telegrams"] = c.telegrams;
    d["timeouts"] = c.timeouts;
    d["collisions"] = c.collisions;
    d["retries"] = c.retries;
    d["bus_ms"] = c.bus_ms;
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
    d["reply_gap_ms"] = ex.reply_gap_ms;
    d["parity_error"] = ex.parity_error;
    d["error"] = ex.outcome == master::Exchange::Outcome::garbled ? ex.error.message() : std::string();
    return d;
}

}  // namespace

void bind_master(py::module_& m) {
    static py::exception<master::MasterError> master_error(m, "MasterErrorBase");
    static py::exception<master::PortError> port_error(m, "PortErrorBase");
    static py::exception<rigs::DutError> dut_error(m, "DutErrorBase", PyExc_ValueError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const master::MasterError& e) {
            PyErr_SetObject(master_error.ptr(), py::make_tuple(e.name(), std::string(e.what())).ptr());
        } catch (const master::PortError& e) {
            PyErr_SetObject(port_error.ptr(), py::make_tuple(e.name(), std::string(e.what())).ptr());
        } catch (const rigs::DutError& e) {
            PyErr_SetObject(dut_error.ptr(), py::make_tuple("bad_url", std::string(e.what())).ptr());
        } catch (const rigs::PcapError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        }
    });

    py::class_<Connection, std::shared_ptr<Connection>>(m, "Connection",
        "Connection(url: str, pcap: str = '')\n\n"
        "A device under test opened by DUT URL (sim:cmi1020?count=N, tcp://HOST:PORT,\n"
        "tcp-listen://HOST:PORT, serial:///dev/X?baud=2400; rigs/include/metercert/rigs/dut.hpp).\n"
        "Every byte is tapped: records() returns them, and `pcap` names a capture file (link type\n"
        "147). Raises DutError (bad URL), PortError('connect_failed') (unreachable), OSError (pcap).")
        .def(py::init<const std::string&, const std::string&>(), py::arg("url"), py::arg("pcap") = "")
        .def_property_readonly("description", [](const Connection& c) { return c.dut.description; })
        .def_property_readonly("simulated", [](const Connection& c) { return c.dut.bus != nullptr; },
                               "True for sim: URLs (the reference slaves run in process).")
        .def_property_readonly("slave_count", [](const Connection& c) { return c.dut.bus ? c.dut.bus->size() : 0; })
        .def("records", [](const Connection& c) {
                py::list out;
                for (const auto& r : c.memory.records) out.append(record_dict(r));
                return out;
            },
            "Every burst so far: dicts with direction ('master_to_slave'|'slave_to_master'), channel,\n"
            "flags (1 parity error, 2 garbled), baud, wall_us (µs since the epoch), bytes.")
        .def("clear_records", [](Connection& c) { c.memory.records.clear(); })
        .def("close", [](Connection& c) { c.dut.port->close(); },
             "Release the line (a TCP connection is closed); later operations raise PortError.")
        .def("now_ms", [](const Connection& c) { return c.dut.port->now_ms(); }, "The port's clock (ms; simulated for sim:).")
        .def("idle", [](Connection& c, double ms) { c.dut.port->idle(ms); }, py::arg("ms"),
             "Let `ms` of bus time pass (simulated: the slaves' meter readouts run meanwhile).")
        .def("slave_state", [](const Connection& c, std::size_t i) {
                if (!c.dut.bus) throw std::invalid_argument("slave_state: not a simulated DUT");
                return c.dut.bus->slave(i).state_json();
            }, py::arg("index"), "sim: only — the EEPROM state of slave `index` as JSON (holds P1/P2: do not log it).")
        .def("power_cycle", [](Connection& c, std::size_t i) {
                if (!c.dut.bus) throw std::invalid_argument("power_cycle: not a simulated DUT");
                c.dut.bus->power_cycle(i);
            }, py::arg("index"), "sim: only — power-cycle slave `index` (RAM lost, EEPROM kept; CMi1020 §5.1).")
        .def("meter", [](Connection& c, std::size_t i) -> devices::E350& {
                if (!c.dut.bus) throw std::invalid_argument("meter: not a simulated DUT (the meter model exists only for sim:)");
                if (i >= c.dut.bus->size()) throw std::out_of_range("meter: no slave " + std::to_string(i));
                return c.dut.bus->meter(i);
            }, py::arg("index") = 0, py::return_value_policy::reference_internal,
            "sim: only — the E350 model slave `index` reads (metercert._core.E350).")
        .def("set_rate_inputs", [](Connection& c, std::size_t i, bool a, bool b) {
                if (!c.dut.bus) throw std::invalid_argument("set_rate_inputs: not a simulated DUT");
                c.dut.bus->slave(i).set_rate_inputs(a, b);
            }, py::arg("index"), py::arg("a"), py::arg("b"),
            "sim: only — the 230 VAC rate inputs A and B of slave `index` (CMi1020 §4.2.1, Table 2).");

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
                 return std::make_unique<PyMaster>(std::move(c), master::MasterSettings{rt, rr, sr, ii, ci, ri, lim});
             }),
             py::arg("connection"), py::arg("response_timeout_ms") = 0.0, py::arg("readout_retries") = 2u,
             py::arg("selection_retries") = 2u, py::arg("init_idle_ms") = 50.0, py::arg("collision_idle_ms") = 100.0,
             py::arg("request_idle_ms") = 0.0, py::arg("multi_telegram_limit") = 10u)
        .def("snd_nke", [](PyMaster& p, std::uint8_t a) { return p.m.snd_nke(a); }, py::arg("a"),
             "SND_NKE (10 40 A CS 16): True if ACKed, False on silence.")
        .def("read", [](PyMaster& p, std::uint8_t a) {
                const auto r = p.m.read(a);
                py::list tgs;
                for (const auto& t : r.telegrams) tgs.append(py::make_tuple(as_bytes(t.frame), t.reply_gap_ms));
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
        .def_property_readonly("response_timeout_ms", [](const PyMaster& p) { return p.m.response_timeout_ms(); });

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
        "PcapWriter(path: str)\n\nA capture file of link type 147 (rigs/include/metercert/rigs/pcap.hpp), flushed after\n"
        "every packet. Raises OSError when the file cannot be written.")
        .def(py::init<const std::string&>(), py::arg("path"))
        .def("record", [](rigs::PcapWriter& w, const py::dict& r) {
                rigs::TapRecord t;
                t.direction = r["direction"].cast<std::string>() == "master_to_slave" ? rigs::Direction::master_to_slave
                                                                                       : rigs::Direction::slave_to_master;
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
        "as Connection.records() gives them. Raises OSError naming the file and packet.");
}
