// Identification-number populations for simulated buses (benchmarks, tests, `sim:` DUT URLs):
// a building's consecutive serial numbers, or random ones. IDs are 8 BCD digits.
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "metercert/mbus/bcd.hpp"

namespace metercert::rigs {

// first_decimal, first_decimal + 1, … (n IDs)
inline std::vector<std::uint32_t> consecutive_ids(std::uint32_t first_decimal, std::size_t n) {
    std::vector<std::uint32_t> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(mbus::to_bcd((first_decimal + static_cast<std::uint32_t>(i)) % 100000000u));
    return v;
}

// n distinct IDs drawn uniformly from 00000000…99999999 (mt19937 seeded with `seed`), sorted.
inline std::vector<std::uint32_t> random_ids(std::uint32_t seed, std::size_t n) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::uint32_t> d(0, 99999999);
    std::set<std::uint32_t> s;
    while (s.size() < n) s.insert(mbus::to_bcd(d(rng)));
    return {s.begin(), s.end()};
}

}  // namespace metercert::rigs
