// metercert._core: the CMi6110's payloads (reference/include/metercert/devices/cmi6110/). The
// Python face is metercert.cmi6110 (errors as metercert.cmi6110.PayloadError).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "metercert/devices/cmi6110/senml_payload.hpp"

namespace py = pybind11;
using metercert::bindings::as_bytes;
using metercert::bindings::from_bytes;
namespace cmi6110 = metercert::devices::cmi6110;

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
}
