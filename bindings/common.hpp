// Helpers shared by the binding units (core.cpp, master.cpp, devices.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

namespace metercert::bindings {

inline pybind11::bytes as_bytes(const std::vector<std::uint8_t>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size()};
}
inline std::vector<std::uint8_t> from_bytes(const pybind11::bytes& b) {
    const std::string s = b;
    return {s.begin(), s.end()};
}

}  // namespace metercert::bindings
