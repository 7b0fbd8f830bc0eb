// Bindings of the device models (reference/devices): the E350 meter model the simulated CMi1020s
// read, and a stand-alone reference CMi1020 that a case holds a DUT against.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include "common.hpp"
#include "metercert/devices/cmi1020.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/devices/fault_lists.hpp"
#include "metercert/devices/secrets.hpp"
#include "metercert/obis/readout.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"

namespace py = pybind11;
using namespace metercert;

namespace {

using bindings::as_bytes;

// A reference CMi1020 with its own E350 model (CMi1020 manual §5–§8).
struct Reference {
    devices::E350 meter;
    devices::Cmi1020 slave;
    Reference(const std::string& readout, std::uint32_t fabrication_number)
        : meter(readout), slave(devices::Cmi1020Config{.fabrication_number = fabrication_number}, meter) {}
};

// The E350's fault list (e350.hpp) as the `fault` property's documentation.
const std::string& meter_fault_doc() {
    static const std::string doc = [] {
        std::string d = "How the meter misbehaves on its optical port (each fault shows up as a CMi1020 Table 5\n"
                        "error flag): 'none', or one of metercert._core.faults()['e350']:";
        for (const auto& f : devices::e350_fault_specs()) d += "\n  '" + std::string(f.name) + "': " + std::string(f.summary);
        return d;
    }();
    return doc;
}

}  // namespace

void bind_devices(py::module_& m) {
    static py::exception<obis::ReadoutError> readout_error(m, "ReadoutErrorBase", PyExc_ValueError);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const obis::ReadoutError& e) {
            py::tuple args = py::make_tuple(e.name, e.line, e.column, e.detail);
            PyErr_SetObject(readout_error.ptr(), args.ptr());
        }
    });
    m.def(
        "parse_readout",
        [](const py::bytes& b) {
            const std::string bytes = b;
            const obis::Readout r = obis::parse_readout(std::string_view(bytes));
            py::list lines;
            for (const auto& l : r.lines) {
                py::list values;
                for (const auto& v : l.values)
                    values.append(py::dict(py::arg("raw") = v.raw, py::arg("value") = v.value, py::arg("unit") = v.unit));
                lines.append(py::dict(py::arg("code") = l.code_text, py::arg("values") = values, py::arg("line") = l.line));
            }
            return py::dict(py::arg("manufacturer") = r.manufacturer, py::arg("baud_char") = std::string(1, r.baud_char),
                            py::arg("baud") = r.baud(), py::arg("identification") = r.identification,
                            py::arg("lines") = lines, py::arg("bcc") = r.bcc);
        },
        py::arg("readout"),
        "parse_readout(readout: bytes) -> dict\n\nAn IEC 62056-21 mode C readout in its wire form (identification line, STX,\n"
        "data lines with CR LF, '!' CR LF, ETX, BCC; reference/include/metercert/obis/readout.hpp): manufacturer,\n"
        "baud_char, baud (the mode C rate it announces), identification, lines [{code, values [{raw, value, unit}],\n"
        "line}], bcc. Raises ReadoutErrorBase(name, line, column, detail) (a ValueError) naming what is wrong.");
    m.def("faults", [] {
            py::dict out;
            for (const auto& d : devices::device_faults()) {
                py::list l;
                for (const auto& f : d.faults) {
                    py::dict e;
                    e["name"] = std::string(f.name);
                    e["clause"] = std::string(f.clause);
                    e["summary"] = std::string(f.summary);
                    l.append(e);
                }
                out[py::str(std::string(d.device))] = l;
            }
            return out;
        },
        "Every device's fault list (reference/include/metercert/devices/fault_lists.hpp), as\n"
        "`metercert faults --json` prints it: {device: [{name, clause, summary}, ...]} for cmi1020\n"
        "(sim:cmi1020?fault=NAME), e350 (the meter model's E350.fault), cme3100 (sim:cme3100?fault=NAME)\n"
        "and cme3000. 'none' (the reference) is in no list.");
    m.def("secret_name", [](const py::bytes& frame) -> std::optional<std::string> {
            const std::string s = frame;
            const auto span = devices::find_secret({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
            if (!span) return std::nullopt;
            return std::string(span->what);
        }, py::arg("frame"),
        "What secret a frame carries (the one rule of reference/include/metercert/devices/secrets.hpp:\n"
        "CMi1020 §6.7.9 'P1 password', §6.7.10 'P2 key'), or None. Works on redacted frames too.");
    py::class_<devices::E350>(m, "E350",
        "The Landis+Gyr E350 model behind a CMi1020 (reference/include/metercert/devices/e350.hpp): it\n"
        "answers IEC 62056-21 mode C readouts, checks the P1 password / P2 key at sign-on and executes\n"
        "the meter commands 0xFF05 (rate), 0xFF21 (disconnector), 0xFF22–0xFF29 (LCD). Obtained from\n"
        "Connection.meter(i) (sim: only) or Reference.meter; not constructed directly.")
        .def_property("readout", [](const devices::E350& e) { return py::bytes(e.readout_bytes()); },
                      [](devices::E350& e, const py::bytes& b) { e.set_readout(std::string(b)); },
                      "The readout (bytes: identification line, STX, data lines, !, ETX, BCC) the meter answers with;\n"
                      "the CMi1020 sees a new one at its next readout cycle (every 30 s).")
        .def_readwrite("load_w", &devices::E350::load_w,
                       "A load on the meter, W (0: none): advance_to() grows its energy registers (1.8.0, the current\n"
                       "tariff's, 15.8.0) by the energy taken, in whole units of each register's last digit.")
        .def("advance_to", [](devices::E350& e, double ms) { e.advance_to(TimePoint{bindings::duration_from_ms(ms, "advance_to")}); },
             py::arg("ms"),
             "The meter's clock to `ms` (the bus's clock: Connection.now_ms()); its load's energy goes into the registers.\n"
             "The CMi1020 calls it before each of its readouts.")
        .def_property("fault", [](const devices::E350& e) { return std::string(devices::meter_fault_name(e.fault)); },
                      [](devices::E350& e, const std::string& name) {
                          const auto f = devices::meter_fault_from_name(name);
                          if (!f)
                              throw py::value_error("unknown meter fault '" + name + "' (" +
                                                    devices::fault_choices(devices::e350_fault_specs()) + ")");
                          e.fault = *f;
                      },
                      meter_fault_doc().c_str())
        .def_property("p1_password", [](const devices::E350& e) { return e.p1_password; },
                      [](devices::E350& e, const std::string& p) { e.p1_password = p; },
                      "The P1 password the meter accepts (8 ASCII digits; §8.2 default 88888888). Never log it.")
        .def_property("p2_key", [](const devices::E350& e) { return py::bytes(reinterpret_cast<const char*>(e.p2_key.data()), 16); },
                      [](devices::E350& e, const py::bytes& b) {
                          const std::string s = b;
                          if (s.size() != 16) throw py::value_error("p2_key: 16 bytes expected");
                          std::copy(s.begin(), s.end(), e.p2_key.begin());
                      }, "The P2 key the meter accepts (16 bytes; §8.2 default 16 × 0x99). Never log it.")
        .def_readwrite("has_disconnector", &devices::E350::has_disconnector)
        .def_property_readonly("executed", [](const devices::E350& e) {
                py::list out;
                for (const auto& c : e.executed) {
                    py::dict d;
                    d["code"] = c.code;
                    d["method"] = c.method == devices::SignOn::p1 ? "p1" : "p2";
                    d["fields"] = as_bytes(c.fields);
                    out.append(d);
                }
                return out;
            }, "Meter commands executed so far: [{code: 0xFF21, method: 'p1'|'p2', fields: bytes}] in order.")
        .def_property_readonly("disconnector_closed", [](const devices::E350& e) -> py::object {
                return e.disconnector_closed ? py::object(py::bool_(*e.disconnector_closed)) : py::none();
            }, "Disconnector state after the last 0xFF21 (True = closed/on), None before any.")
        .def_property_readonly("rate", [](const devices::E350& e) { return e.rate; }, "Rate set by the last 0xFF05 (0 before any).")
        .def_property_readonly("reads", [](const devices::E350& e) { return e.reads; }, "Readout cycles the meter has answered.");

    py::class_<Reference>(m, "Reference",
        "Reference(readout: bytes = <the real E350 capture>, fabrication_number: int = 0x70000001)\n\n"
        "A stand-alone reference CMi1020 (reference/include/metercert/devices/cmi1020.hpp) with its own\n"
        "E350 model answering `readout`: the behaviour a DUT is held against. Time is simulated\n"
        "(advance_to); on_frame() answers a frame as the CMi1020 manual §6.7 says.")
        .def(py::init([](const py::object& readout, std::uint32_t fab) {
                 std::string r = readout.is_none() ? std::string(rigs::default_e350_readout())
                                                   : std::string(readout.cast<py::bytes>());
                 return std::make_unique<Reference>(r, fab);
             }), py::arg("readout") = py::none(), py::arg("fabrication_number") = 0x70000001u)
        .def_property_readonly("meter", [](Reference& r) -> devices::E350& { return r.meter; }, py::return_value_policy::reference_internal)
        .def("advance_to", [](Reference& r, std::uint64_t ms) {
                 r.slave.advance_to(TimePoint{bindings::duration_from_ms(static_cast<double>(ms), "advance_to")});
             },
             py::arg("ms"),
             "Simulated ms since power-on; runs the meter readouts due (2 s after power-on, then every 30 s).")
        .def("on_frame", [](Reference& r, const py::bytes& b) -> py::object {
                const std::string s = b;
                const auto reply = r.slave.on_frame({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
                return reply ? py::object(as_bytes(*reply)) : py::none();
            }, py::arg("frame"), "The reply to one whole frame as received, or None (silence).")
        .def("telegrams", [](const Reference& r) {
                py::list out;
                for (const auto& t : r.slave.telegrams()) out.append(as_bytes(t));
                return out;
            }, "User data (from CI on) of each RSP_UD a REQ_UD2 sequence returns now.")
        .def("power_cycle", [](Reference& r) { r.slave.power_cycle(); })
        .def_property_readonly("error_flags", [](const Reference& r) { return r.slave.error_flags(); },
                               "Table 5 FD17 error flags (24 bits).")
        .def_property_readonly("status_byte", [](const Reference& r) { return r.slave.status_byte(); })
        .def_property_readonly("secondary_address", [](const Reference& r) { return r.slave.secondary_address(); },
                               "Identification number in use (BCD as an int; Table 4 priority).")
        .def("state_json", [](const Reference& r) { return r.slave.state_json(); },
             "EEPROM settings as JSON (holds P1/P2: do not log it).");
}
