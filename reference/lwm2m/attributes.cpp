// Notification attributes, Write-Attributes and the notify decision (TS 1.1 §5.1.2, §5.4.4;
// attributes.hpp).
#include "metercert/lwm2m/attributes.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace metercert::lwm2m {
namespace {

bool fail(Error& err, ErrorCode c, std::size_t offset, std::string detail) {
    err = Error{c, offset, std::move(detail)};
    return false;
}

bool parse_u32(std::string_view s, std::uint32_t& v) noexcept {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}
bool parse_f(std::string_view s, double& v) noexcept {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
    return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size() && std::isfinite(v);
}

}  // namespace

bool write_attributes(std::span<const std::string> options, const Path& target, bool numeric, Attributes& current, Error& err) noexcept {
    Attributes a = current;
    std::vector<std::string_view> seen;
    for (std::size_t k = 0; k < options.size(); ++k) {
        const std::string_view o = options[k];
        const auto eq = o.find('=');
        const auto name = o.substr(0, eq);
        const bool has = eq != std::string_view::npos;
        const auto v = has ? o.substr(eq + 1) : std::string_view{};
        for (auto s : seen)
            if (s == name) return fail(err, ErrorCode::duplicate, k, fmt::format("attribute '{}' twice", name));
        seen.push_back(name);
        std::optional<std::uint32_t>* period = name == "pmin" ? &a.pmin : name == "pmax" ? &a.pmax : name == "epmin" ? &a.epmin
                                             : name == "epmax" ? &a.epmax : nullptr;
        std::optional<double>* level = name == "gt" ? &a.gt : name == "lt" ? &a.lt : name == "st" ? &a.st : nullptr;
        if (period) {
            if (!has) {
                period->reset();
                continue;
            }
            std::uint32_t x = 0;
            if (!parse_u32(v, x)) return fail(err, ErrorCode::bad_value, k, fmt::format("{} '{:.20}' is not a whole number of seconds ≥ 0", name, v));
            *period = x;
        } else if (level) {
            if (target.depth < 3) return fail(err, ErrorCode::bad_value, k, fmt::format("{} on {}: only on a resource (TS 1.1 §5.1.2)", name, to_string(target)));
            if (!numeric) return fail(err, ErrorCode::bad_value, k, fmt::format("{} on {}: not a numeric resource", name, to_string(target)));
            if (!has) {
                level->reset();
                continue;
            }
            double x = 0;
            if (!parse_f(v, x)) return fail(err, ErrorCode::bad_value, k, fmt::format("{} '{:.20}' is not a number", name, v));
            if (name == "st" && x < 0) return fail(err, ErrorCode::bad_value, k, "st below 0");
            *level = x;
        } else {
            return fail(err, ErrorCode::bad_value, k, fmt::format("'{:.20}' is not an LwM2M attribute (pmin pmax gt lt st epmin epmax)", name));
        }
    }
    const auto n = options.size();
    if (a.gt && a.lt && !(*a.lt < *a.gt)) return fail(err, ErrorCode::bad_value, n, fmt::format("lt {} not below gt {}", *a.lt, *a.gt));
    if (a.gt && a.lt && a.st && !(*a.lt + 2 * *a.st < *a.gt))
        return fail(err, ErrorCode::bad_value, n, fmt::format("lt + 2·st = {} not below gt {}", *a.lt + 2 * *a.st, *a.gt));
    if (a.epmin && a.epmax && !(*a.epmax > *a.epmin)) return fail(err, ErrorCode::bad_value, n, fmt::format("epmax {} not above epmin {}", *a.epmax, *a.epmin));
    if (a.pmin && a.pmax && *a.pmax != 0 && *a.pmax < *a.pmin)
        return fail(err, ErrorCode::bad_value, n, fmt::format("pmax {} below pmin {} (ERRATA E-98)", *a.pmax, *a.pmin));
    current = a;
    return true;
}

std::vector<LinkParam> link_params(const Attributes& a) {
    std::vector<LinkParam> p;
    auto num = [](double d) { return fmt::format("{}", d); };
    if (a.pmin) p.push_back({"pmin", std::to_string(*a.pmin), false});
    if (a.pmax) p.push_back({"pmax", std::to_string(*a.pmax), false});
    if (a.gt) p.push_back({"gt", num(*a.gt), false});
    if (a.lt) p.push_back({"lt", num(*a.lt), false});
    if (a.st) p.push_back({"st", num(*a.st), false});
    if (a.epmin) p.push_back({"epmin", std::to_string(*a.epmin), false});
    if (a.epmax) p.push_back({"epmax", std::to_string(*a.epmax), false});
    return p;
}

Attributes effective(const Attributes& o, const Attributes& i, const Attributes& r) {
    Attributes e;
    auto pick = [](const auto& a, const auto& b, const auto& c) { return c ? c : b ? b : a; };
    e.pmin = pick(o.pmin, i.pmin, r.pmin);
    e.pmax = pick(o.pmax, i.pmax, r.pmax);
    e.epmin = pick(o.epmin, i.epmin, r.epmin);
    e.epmax = pick(o.epmax, i.epmax, r.epmax);
    e.gt = r.gt, e.lt = r.lt, e.st = r.st;
    return e;
}

NotifyDecision decide_notify(const Attributes& a, TimePoint last_time, std::optional<double> last_value, TimePoint now,
                             std::optional<double> value, bool changed) noexcept {
    using std::chrono::seconds;
    const auto pmin = seconds(a.pmin.value_or(0));
    const bool has_pmax = a.pmax && *a.pmax > 0 && (!a.pmin || *a.pmax >= *a.pmin);  // E-98: pmax < pmin ignored
    const auto pmax = seconds(a.pmax.value_or(0));
    // does the value call for a notification? With gt/lt/st on a numeric value: a crossing of gt or
    // lt, or a step ≥ st; any of them suffices. Without them: any change.
    bool wanted = changed;
    if (value && last_value && (a.gt || a.lt || a.st)) {
        wanted = false;
        const double v = *value, l = *last_value;
        if (a.gt && ((l <= *a.gt) != (v <= *a.gt))) wanted = true;
        if (a.lt && ((l < *a.lt) != (v < *a.lt))) wanted = true;
        if (a.st && std::fabs(v - l) >= *a.st) wanted = true;
    }
    const auto since = now - last_time;
    NotifyDecision d;
    if ((wanted && since >= pmin) || (has_pmax && since >= pmax)) {
        d.notify = true;
        if (has_pmax) d.next_check = now + pmax;
        return d;
    }
    if (wanted) d.next_check = last_time + pmin;  // held back by pmin
    else if (has_pmax) d.next_check = last_time + pmax;
    if (a.epmax && *a.epmax > 0) {
        const auto eval = now + seconds(*a.epmax);
        if (!d.next_check || eval < *d.next_check) d.next_check = eval;
    }
    return d;
}

}  // namespace metercert::lwm2m
