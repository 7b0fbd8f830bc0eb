// A fault spec: one deliberate deviation of a device ("a suite that cannot fail proves nothing",
// metercert DESIGN). Each device keeps ONE list of them — name, the clause it deviates from, a
// one-line summary — beside the hooks through which each fault acts; the hooks are the device's
// own (CMi1020: faults.hpp; E350 meter: e350.hpp; CMe3100: cme3100/faults.hpp) and every reader
// that needs only the names reads the same list as a std::span<const FaultSpec>
// (fault_lists.hpp: DUT URL validation, CLI help, bindings, `metercert faults [--json]`, and the
// profiles' faults.json checks).
//
//   constexpr Cmi1020FaultSpec kFaults[] = {{{"wrong_checksum", "EN 13757-2 §5.4", "…"}, {.sent = …}}, …};
//   constexpr auto kSpecs = specs_of(kFaults);          // std::array<FaultSpec, N>, same order
//   const FaultSpec* f = find_fault(kSpecs, "wrong_checksum");
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace metercert::devices {

struct FaultSpec {
    std::string_view name;     // stable snake_case: DUT URLs (fault=NAME), options, faults.json, reports
    std::string_view clause;   // what it deviates from: "CMi1020 §6.7.7", "EN 13757-2 §5.4", "… (ERRATA E-1)"
    std::string_view summary;  // one line: what the faulty device does
};

// The FaultSpec of every entry of a device's list with hooks (each entry has a member `spec`), in
// the list's order: the list is written once, with its hooks, and read as a span of FaultSpec.
template <class Spec, std::size_t N>
constexpr std::array<FaultSpec, N> specs_of(const Spec (&list)[N]) noexcept {
    std::array<FaultSpec, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = list[i].spec;
    return out;
}

// The spec named `name`, nullptr when the list has none ("none", the reference, is no fault).
constexpr const FaultSpec* find_fault(std::span<const FaultSpec> list, std::string_view name) noexcept {
    for (const FaultSpec& f : list)
        if (f.name == name) return &f;
    return nullptr;
}

// "none, a, b, …": every value a fault option or parameter takes, for usage errors and help.
inline std::string fault_choices(std::span<const FaultSpec> list, std::string_view separator = ", ") {
    std::string s = "none";
    for (const FaultSpec& f : list) s.append(separator).append(f.name);
    return s;
}

}  // namespace metercert::devices
