// Helpers shared by the binding units (core.cpp, master.cpp, devices.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

// The real E350 readout compiled in (generated/default_readout.cpp in the build tree, from
// vectors/obis/lgz-zmf100ac-m26.readout: the top-level CMakeLists.txt).
extern const char kDefaultE350Readout[];
extern const std::size_t kDefaultE350ReadoutSize;

namespace metercert::bindings {

inline pybind11::bytes as_bytes(const std::vector<std::uint8_t>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size()};
}
inline std::vector<std::uint8_t> from_bytes(const pybind11::bytes& b) {
    const std::string s = b;
    return {s.begin(), s.end()};
}

}  // namespace metercert::bindings
