// Helpers shared by the binding units (core.cpp, master.cpp, devices.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "metercert/time.hpp"

namespace metercert::bindings {

inline pybind11::bytes as_bytes(const std::vector<std::uint8_t>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size()};
}
inline std::vector<std::uint8_t> from_bytes(const pybind11::bytes& b) {
    const std::string s = b;
    return {s.begin(), s.end()};
}

// Python's times are float ms; the one clock is µs in 64 bits (metercert/time.hpp). A value that
// is not finite or beyond 10^12 ms (~31 years) raises ValueError instead of overflowing it.
inline constexpr double kMaxPythonMs = 1e12;
inline Duration duration_from_ms(double ms, const char* what) {
    if (!std::isfinite(ms) || std::fabs(ms) > kMaxPythonMs)
        throw pybind11::value_error(std::string(what) + ": " + std::to_string(ms) +
                                    " ms is out of range (finite, at most 1e12 ms)");
    return from_ms(ms);
}

}  // namespace metercert::bindings
