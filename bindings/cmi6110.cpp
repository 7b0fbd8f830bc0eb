// metercert._core: the CMi6110's payloads (reference/include/metercert/devices/cmi6110/). The
// Python face is metercert.cmi6110 (errors as metercert.cmi6110.PayloadError). And the CMi6110
// interfaces of a DUT link (cmi6110_link.hpp), which metercert.Connection offers as methods.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "cmi6110_link.hpp"
#include "common.hpp"
#include "metercert/devices/cmi6110/module.hpp"
#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/rigs/cmi6110.hpp"

namespace py = pybind11;
using metercert::bindings::as_bytes;
using metercert::bindings::from_bytes;
namespace cmi6110 = metercert::devices::cmi6110;
using metercert::UtcTime;

void bind_cmi6110(py::module_& m) {
    m.def(
        "cmi6110_decode_senml",
        [](const py::bytes& payload) -> py::tuple {
            const auto b = from_bytes(payload);
            cmi6110::SenmlPayload p;
            cmi6110::SenmlError err;
            bool ok;
            {
                py::gil_scoped_release release;
                ok = cmi6110::decode_senml(b, p, err);
            }
            if (!ok) return py::make_tuple(false, py::make_tuple(std::string(err.name()), err.offset, err.detail));
            py::list readouts;
            for (const auto& r : p.readouts) {
                py::dict d;
                d["time"] = r.time;
                d["dibs"] = as_bytes(r.dibs);
                d["offset"] = r.offset;
                d["dibs_offset"] = r.dibs_offset;
                readouts.append(d);
            }
            py::dict out;
            out["meter_id"] = p.meter_id;
            out["base_time"] = p.base_time;
            out["version_record"] = p.version_record;
            out["encoder"] = p.encoder;
            out["readouts"] = readouts;
            out["ignored"] = p.ignored;
            return py::make_tuple(true, out);
        },
        py::arg("payload"),
        "cmi6110_decode_senml(payload: bytes) -> (True, dict) | (False, (name, offset, detail))\n\n"
        "CMi6110 manual §7.4.2.3 (SenML/CBOR/M-Bus). metercert.cmi6110.decode_senml wraps it.");
    m.def(
        "cmi6110_encode_senml",
        [](const std::string& meter_id, const std::vector<std::pair<std::int64_t, py::bytes>>& readouts, bool version_record) {
            cmi6110::SenmlPayload p;
            p.meter_id = meter_id;
            p.version_record = version_record;
            for (const auto& [t, dibs] : readouts) p.readouts.push_back({t, from_bytes(dibs)});
            return as_bytes(cmi6110::encode_senml(p));
        },
        py::arg("meter_id"), py::arg("readouts"), py::arg("version_record") = true,
        "cmi6110_encode_senml(meter_id: str, readouts: [(unix_s, dibs)], version_record=True) -> bytes\n\n"
        "CMi6110 manual §7.4.2.3. Raises ValueError for no readouts.");
    m.def(
        "cmi6110_hold_leds",
        [](double held_s, const std::string& fault) {
            if (!(held_s >= 0 && held_s <= 3600)) throw py::value_error("cmi6110_hold_leds: held_s must be 0..3600 s");
            const auto f = cmi6110::fault_from_name(fault);
            if (!f) throw py::value_error("cmi6110_hold_leds: no fault '" + fault + "'");
            const auto l = cmi6110::hold_leds(std::chrono::milliseconds{static_cast<long long>(held_s * 1000 + 0.5)}, *f);
            py::dict d;
            d["green"] = l.green;
            d["red"] = l.red;
            return d;
        },
        py::arg("held_s"), py::arg("fault") = "none",
        "cmi6110_hold_leds(held_s: float, fault='none') -> {'green': bool, 'red': bool}\n\n"
        "The reference CMi6110's LEDs while its push button has been held held_s seconds (§5.3.5-§5.3.6,\n"
        "ERRATA E-143: green 5-15 s, red 15-20 s), with the named fault of the model (green_led_late).\n"
        "ValueError for a hold outside 0..3600 s or an unknown fault.");
}

// ------------------------------------------------------------------ the CMi6110 DUT link interfaces

namespace metercert::bindings {

namespace {

double unix_s(UtcTime t) { return static_cast<double>(t.time_since_epoch().count()) / 1e6; }

py::dict uplinks_dict(const cmi6110::ModuleConfig& config, const std::vector<cmi6110::Uplink>& uplinks) {
    py::dict out;
    out["config"] = py::module_::import("json").attr("loads")(cmi6110::config_line(config))["config"];
    py::list list;
    for (const auto& u : uplinks) {
        py::dict d;
        d["time"] = unix_s(u.time);
        d["planned"] = u.planned == UtcTime{} ? py::object(py::none()) : py::object(py::float_(unix_s(u.planned)));
        d["encoding"] = std::string(cmi6110::encoding_name(u.encoding));
        d["payload"] = as_bytes(u.payload);
        d["readouts"] = u.readouts.empty() ? py::object(py::none()) : py::object(py::int_(u.readouts.size()));
        list.append(d);
    }
    out["uplinks"] = list;
    return out;
}

}  // namespace

py::dict cmi6110_uplinks(rigs::DutLink& link) {
    auto& u = link.require_cmi6110_uplinks("cmi6110_uplinks");
    return uplinks_dict(u.uplinks_config(), u.uplinks());
}

py::dict cmi6110_sim(rigs::DutLink& link, const py::object& params) {
    auto& sim = link.require_sim_cmi6110("cmi6110_sim");
    rigs::Cmi6110Run run;
    if (params.is_none()) {
        run = sim.sim_run();
    } else {
        std::map<std::string, std::string> p;
        for (const auto& [k, v] : params.cast<py::dict>())
            p[py::str(k)] = v.is_none() ? std::string() : std::string(py::str(v));
        run = sim.rerun(p);
    }
    py::dict out = uplinks_dict(run.config, run.result.uplinks);
    out["start"] = unix_s(run.run.start);
    out["days"] = run.run.days;
    out["network_down"] = run.run.network_down_from == UtcTime::max()
                              ? py::object(py::none())
                              : py::object(py::make_tuple(unix_s(run.run.network_down_from), unix_s(run.run.network_down_to)));
    out["fault"] = std::string(cmi6110::fault_name(run.run.fault));
    py::list errors;
    for (auto e : run.run.meter_errors) errors.append(std::string(cmi6110::error_name(e)));
    py::dict meter;
    meter["power_w"] = run.result.power_w;
    meter["flow_l_per_h"] = run.result.flow_l_per_h;
    meter["forward_decidegrees"] = run.result.forward_decidegrees;
    meter["return_decidegrees"] = run.result.return_decidegrees;
    meter["errors"] = errors;
    out["meter"] = meter;
    out["readouts_made"] = run.result.readouts;
    out["missed_transmissions"] = run.result.missed_transmissions;
    out["unsent"] = run.result.unsent;
    out["power_mode"] = std::string(cmi6110::power_mode_name(run.run.power_mode));
    out["final_mode"] = std::string(cmi6110::power_mode_name(run.result.final_mode));
    py::list attached;
    for (auto t : run.result.attached) attached.append(unix_s(t));
    out["attached"] = attached;
    out["attach_s"] = run.run.attach.count();
    return out;
}

}  // namespace metercert::bindings
