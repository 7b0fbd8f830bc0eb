#include "metercert/rigs/wire.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace metercert::rigs {

Wire::Wire(const std::string& spec) {
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
        throw WireError(fmt::format("wire '{}': expected PATH:OUTPUT (a board's state file and one of its outputs)", spec));
    file_ = spec.substr(0, colon);
    output_ = spec.substr(colon + 1);
}

WireState Wire::read() const {
    std::ifstream in(file_);
    if (!in) throw WireError(fmt::format("wire {}: cannot read {} (is the board running?)", spec(), file_.string()));
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw WireError(fmt::format("wire {}: {} is not a board state (JSON): byte {}: {}", spec(), file_.string(), e.byte, e.what()));
    }
    if (!doc.is_object() || !doc.contains("outputs") || !doc["outputs"].is_object())
        throw WireError(fmt::format("wire {}: {} has no \"outputs\" object", spec(), file_.string()));
    const auto& outputs = doc["outputs"];
    if (!outputs.contains(output_)) {
        std::string names;
        for (const auto& [k, _] : outputs.items()) names += (names.empty() ? "" : ", ") + k;
        throw WireError(fmt::format("wire {}: board {} has no output '{}' (outputs: {})", spec(), file_.string(), output_,
                                    names.empty() ? "none" : names));
    }
    const auto& o = outputs[output_];
    if (!o.is_object() || !o.contains("on") || !o["on"].is_boolean() || !o.contains("changes") ||
        !o["changes"].is_number_unsigned())
        throw WireError(fmt::format("wire {}: output '{}' is not {{\"on\": bool, \"changes\": count}}", spec(), output_));
    return {o["on"].get<bool>(), o["changes"].get<std::uint64_t>()};
}

std::optional<WireState> Wire::poll() const noexcept {
    try {
        return read();
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace metercert::rigs
