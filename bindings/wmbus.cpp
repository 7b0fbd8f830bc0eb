// Bindings of wireless M-Bus: the codec's canonical JSON (reference/wmbus: what `metercert decode
// --wmbus --json` prints), a Connection's wmbus.receive (rigs/include/metercert/rigs/
// wmbus_receiver.hpp) and the built-in CMi1020W of sim:cmi1020w (sim.cmi1020w: sim_cmi1020w.hpp).
// No key is ever returned or put into a message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "common.hpp"
#include "connection.hpp"
#include "metercert/rigs/sim_cmi1020w.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

namespace py = pybind11;
using namespace metercert;

namespace {

using bindings::as_bytes;
using bindings::Connection;

wmbus::CrcFormat crc_from(const std::string& crc) {
    if (crc == "auto") return wmbus::CrcFormat::automatic;
    if (crc == "A") return wmbus::CrcFormat::a;
    if (crc == "B") return wmbus::CrcFormat::b;
    if (crc == "none") return wmbus::CrcFormat::none;
    throw py::value_error("crc='" + crc + "': expected 'auto', 'A', 'B' or 'none'");
}

rigs::SimCmi1020W& sim(Connection& c, const char* what) { return c.link->require_sim_cmi1020w(what); }

}  // namespace

void bind_wmbus(py::module_& m) {
    static py::exception<wmbus::DecodeFailure> wmbus_error(m, "WmbusDecodeErrorBase", PyExc_ValueError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const wmbus::DecodeFailure& e) {
            const auto& err = e.error();
            PyErr_SetObject(wmbus_error.ptr(), py::make_tuple(std::string(err.name()), err.offset, err.detail).ptr());
        }
    });
    m.def(
        "decode_wmbus_json",
        [](const py::bytes& frame, const py::object& key, const std::string& crc) {
            const std::string bytes = frame;
            std::optional<wmbus::KeyLookup> keys;
            if (!key.is_none()) {
                const std::string k = key.cast<py::bytes>();
                if (k.size() != 16) throw py::value_error(fmt::format("key: 16 bytes expected, got {} (the key is not shown)", k.size()));
                std::array<std::uint8_t, 16> b{};
                std::copy(k.begin(), k.end(), b.begin());
                keys = wmbus::single_key(wmbus::Key(b));
            }
            const wmbus::CrcFormat f = crc_from(crc);
            wmbus::Telegram t;
            wmbus::DecodeError err;
            bool ok;
            {
                py::gil_scoped_release release;
                ok = wmbus::decode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, t, err,
                                   {.crc = f, .keys = keys ? &*keys : nullptr});
            }
            if (!ok) throw wmbus::DecodeFailure(std::move(err));
            return wmbus::to_json(t);
        },
        py::arg("frame"), py::arg("key") = py::none(), py::arg("crc") = "auto",
        "decode_wmbus_json(frame: bytes, key: bytes | None = None, crc: str = 'auto') -> str\n\n"
        "Canonical JSON of one wireless M-Bus telegram (vectors/README.md \"Wireless M-Bus\"; the same text\n"
        "as `metercert decode --wmbus --json`): EN 13757-4 link layer, ELL, AFL, TPL, security, records.\n"
        "`key`: the AES-128 key (16 bytes) for every meter; `crc`: the frame format (auto, A, B, none;\n"
        "ERRATA E-47). Raises WmbusDecodeErrorBase(name, offset, detail): crc_mismatch, no_key,\n"
        "decryption_check_failed, … with the wire offset.");
}

void bind_wmbus_connection(py::class_<Connection, std::shared_ptr<Connection>>& cls) {
    cls.def("receive", [](Connection& c, double timeout_s) -> py::object {
            rigs::WmbusReceiver& rx = c.link->require_wmbus_receive("receive");
            const Duration timeout = bindings::duration_from_ms(timeout_s * 1000.0, "receive timeout_s");
            std::optional<rigs::ReceivedTelegram> t;
            {
                py::gil_scoped_release release;
                t = rx.receive(timeout);
            }
            if (!t) return py::none();
            py::dict d;
            d["frame"] = as_bytes(t->frame);
            d["crc"] = std::string(wmbus::crc_format_name(t->crc));
            d["at_ms"] = t->at ? py::object(py::float_(ms_since_epoch(*t->at))) : py::none();
            d["rssi_dbm"] = t->rssi_dbm ? py::object(py::int_(*t->rssi_dbm)) : py::none();
            d["mode"] = t->mode;
            return d;
        }, py::arg("timeout_s"),
        "wmbus.receive: the next telegram received within `timeout_s` seconds on the link's clock, or None:\n"
        "{frame: bytes (from the L-field), crc: 'A' | 'B' | 'none' (the CRCs it still carries), at_ms (the\n"
        "receive time, ms on the link's clock, or None: a capture without times), rssi_dbm (or None),\n"
        "mode ('T1', 'C1', … or '')}. The telegram is in records() (link 'wmbus') before it returns.\n"
        "sim:cmi1020w: the simulated clock jumps to the module's next telegram (no wall-clock wait).\n"
        "Raises PortError when the receiver fails.")
        .def("receiver_now_ms", [](Connection& c) { return ms_since_epoch(c.link->require_wmbus_receive("receiver_now_ms").now()); },
             "wmbus.receive: the link's clock now, ms (sim:cmi1020w: simulated, since the link opened; a capture:\n"
             "the last telegram's time; a receiver stick: since it opened).")
        .def("cmi1020w_meter", [](Connection& c) -> devices::E350& { return sim(c, "cmi1020w_meter").meter(); },
             py::return_value_policy::reference_internal,
             "sim.cmi1020w: the E350 model the CMi1020W reads at every telegram (metercert._core.E350): its\n"
             "readout, faults, executed commands and rate.")
        .def("cmi1020w_power_cycle", [](Connection& c) { sim(c, "cmi1020w_power_cycle").power_cycle(); },
             "sim.cmi1020w: power the module up now (CMi1020W manual \"operation and function\": the first\n"
             "telegram 15 s later; the access number restarts, ERRATA E-55).")
        .def("cmi1020w_idle", [](Connection& c, double s) { sim(c, "cmi1020w_idle").idle(bindings::duration_from_ms(s * 1000.0, "idle")); },
             py::arg("seconds"), "sim.cmi1020w: let `seconds` pass unheard (telegrams sent meanwhile are not received).")
        .def("cmi1020w_set_rate_inputs", [](Connection& c, bool a, bool b) { sim(c, "cmi1020w_set_rate_inputs").module().set_rate_inputs(a, b); },
             py::arg("a"), py::arg("b"),
             "sim.cmi1020w: the rate inputs A and B (CMi1020W manual \"rate inputs\": disabled by default; ERRATA E-64).")
        .def("cmi1020w_set_tariff_set_failed", [](Connection& c, bool failed) { sim(c, "cmi1020w_set_tariff_set_failed").module().tariff_set_failed = failed; },
             py::arg("failed"),
             "sim.cmi1020w: whether a new tariff could not be set (status byte bit 6, manual \"LED indications\").")
        .def("cmi1020w_state", [](Connection& c) {
                rigs::SimCmi1020W& s = sim(c, "cmi1020w_state");
                const devices::Cmi1020W& w = s.module();
                const auto& o = w.options();
                py::dict d;
                d["encrypted"] = o.key.has_value();
                d["mode"] = o.mode == devices::RadioMode::t1 ? "T1" : "C1";
                d["interval_s"] = to_seconds(o.interval);
                d["rate_inputs_enabled"] = o.rate_inputs_enabled;
                d["fault"] = std::string(devices::cmi1020w_fault_name(o.fault));
                d["access_number"] = w.access_number();
                d["sent"] = w.sent();
                d["red_led"] = w.red_led();
                d["tariff_set_failed"] = w.tariff_set_failed;
                d["rate_inputs"] = py::make_tuple(w.rate_input_a(), w.rate_input_b());
                d["powered_up_at_ms"] = ms_since_epoch(s.powered_up_at());
                return d;
            },
            "sim.cmi1020w: the module's options and state: {encrypted, mode, interval_s, rate_inputs_enabled,\n"
            "fault, access_number (of the next telegram), sent, red_led, tariff_set_failed, rate_inputs (a, b),\n"
            "powered_up_at_ms}. Never the key.");
}
