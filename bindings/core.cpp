// metercert._core: the reference codec for Python (pybind11). The Python package `metercert`
// wraps these in friendlier functions; see metercert/__init__.py for the documented API.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/tables.hpp"
#include "metercert/mbus/telegram.hpp"

namespace py = pybind11;
using namespace metercert::mbus;

namespace {

std::span<const std::uint8_t> view(const py::bytes& b, std::string& keep) {
    keep = b;  // copy: Python bytes are immutable but we want a stable buffer
    return {reinterpret_cast<const std::uint8_t*>(keep.data()), keep.size()};
}

py::bytes to_bytes(const std::vector<std::uint8_t>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }

}  // namespace

void bind_master(py::module_& m);  // master.cpp
void bind_devices(py::module_& m);  // devices.cpp
void bind_cmi6110(py::module_& m);  // cmi6110.cpp
void bind_wmbus(py::module_& m);  // wmbus.cpp
void bind_lwm2m(py::module_& m);  // lwm2m.cpp

PYBIND11_MODULE(_core, m) {
    m.doc() = "metercert reference codec (EN 13757-2 link layer, EN 13757-3 application layer).";

    static py::exception<DecodeFailure> decode_error(m, "DecodeErrorBase");
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const DecodeFailure& e) {
            py::tuple args = py::make_tuple(std::string(error_name(e.error().code)), e.error().offset, e.error().detail);
            PyErr_SetObject(decode_error.ptr(), args.ptr());
        }
    });

    m.def(
        "decode_json",
        [](const py::bytes& frame, bool strict) {
            std::string keep;
            Telegram t;
            DecodeError err;
            bool ok;
            {
                py::gil_scoped_release release;
                ok = decode(view(frame, keep), t, err, DecodeOptions{.strict = strict});
            }
            if (!ok) throw DecodeFailure(std::move(err));
            return to_json(t);
        },
        py::arg("frame"), py::arg("strict") = false,
        "decode_json(frame: bytes, strict: bool = False) -> str\n\nCanonical JSON of one frame (schema: vectors/README.md).\n"
        "Raises DecodeErrorBase(name, offset, detail) on any invalid frame (EN 13757-2 §5, EN 13757-3 §5–6).\n"
        "Recoverable deviations are listed under \"violations\"; with strict=True the first one is raised instead.");
    m.def(
        "encode_json", [](const std::string& json) { return to_bytes(from_json(json)); }, py::arg("json"),
        "encode_json(json: str) -> bytes\n\nThe frame a canonical JSON object describes (inverse of decode_json).\n"
        "Raises DecodeErrorBase('bad_model' | 'value_out_of_range' | 'bad_bcd', 0, detail).");
    m.def("checksum", [](const py::bytes& b) {
        std::string keep;
        return checksum(view(b, keep));
    }, py::arg("data"), "checksum(data: bytes) -> int — arithmetic sum mod 256 (EN 13757-2 §5.4).");
    m.def("build_short", [](std::uint8_t c, std::uint8_t a) { return to_bytes(build_short(c, a)); }, py::arg("c"), py::arg("a"),
          "build_short(c: int, a: int) -> bytes — 10 C A CS 16 (EN 13757-2 §5.3).");
    m.def("build_long", [](std::uint8_t c, std::uint8_t a, std::uint8_t ci, const py::bytes& ud) {
        std::string keep;
        return to_bytes(build_long(c, a, ci, view(ud, keep)));
    }, py::arg("c"), py::arg("a"), py::arg("ci"), py::arg("user_data") = py::bytes(),
          "build_long(c, a, ci, user_data=b'') -> bytes — control frame (no user data) or long frame.\n"
          "Raises DecodeErrorBase('value_out_of_range', ...) when user data exceeds 252 bytes.");
    m.def("manufacturer_code", [](const std::string& l) -> py::object {
        auto c = manufacturer_code(l);
        return c ? py::object(py::int_(*c)) : py::none();
    }, py::arg("letters"), "manufacturer_code('ELV') -> 0x1596, or None (EN 13757-3 §5.5).");
    m.def("manufacturer_letters", &manufacturer_letters, py::arg("code"), "manufacturer_letters(0x1596) -> 'ELV'.");
    m.def("medium_name", [](std::uint8_t mdm) { return std::string(medium_name(mdm)); }, py::arg("medium"),
          "medium_name(2) -> 'electricity' (EN 13757-3:2013 Table 3).");

    py::class_<FrameReader>(m, "FrameReader",
                            "Frame reader over a byte stream (EN 13757-2 §5): feed(bytes) and finish() return events\n"
                            "(kind: 'frame' | 'garbage' | 'garbled', offset, bytes, error, error_offset).")
        .def(py::init<>())
        .def("feed", [](FrameReader& r, const py::bytes& b) {
            std::string keep;
            return r.feed(view(b, keep));
        })
        .def("finish", &FrameReader::finish)
        .def("reset", &FrameReader::reset);
    py::class_<StreamEvent>(m, "StreamEvent")
        .def_property_readonly("kind", [](const StreamEvent& e) {
            return e.kind == StreamEvent::Kind::frame ? "frame" : e.kind == StreamEvent::Kind::garbage ? "garbage" : "garbled";
        })
        .def_readonly("offset", &StreamEvent::offset)
        .def_property_readonly("bytes", [](const StreamEvent& e) { return to_bytes(e.bytes); })
        .def_property_readonly("error", [](const StreamEvent& e) -> py::object {
            if (e.kind != StreamEvent::Kind::garbled) return py::none();
            return py::str(std::string(error_name(e.error.code)));
        })
        .def_property_readonly("error_offset", [](const StreamEvent& e) { return e.error.offset; });
    bind_devices(m);
    bind_master(m);
    bind_cmi6110(m);
    bind_wmbus(m);
    bind_lwm2m(m);
}
