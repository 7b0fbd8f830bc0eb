// Notification attributes and the Write-Attributes operation (OMA LwM2M TS 1.1 Core §5.1.2
// "Attributes"; §5.4.4 "Write-Attributes"; §5.5 Information Reporting interface: Observe and
// Notify), and the pure decision when an observed value is notified.
//
// Attributes (units: seconds for the periods, the resource's own unit for gt/lt/st):
//   pmin   Minimum Period   Integer ≥ 0: no notification sooner than pmin after the last one
//   pmax   Maximum Period   Integer ≥ 0: a notification at the latest pmax after the last one
//                           (0 or absent: none); ignored when pmax < pmin (ERRATA E-98)
//   gt/lt  Greater/Less Than  Float: notify when the value crosses the threshold (either way)
//   st     Step             Float ≥ 0: notify when the value moved by ≥ st since the last notification
//   epmin/epmax  Evaluation Min/Max Period  Integer ≥ 0: sample the value no more often than
//                epmin (the caller's sampling: decide_notify does not use it), at least every
//                epmax (decide_notify's next_check)
// pmin, pmax, epmin, epmax may sit on an object, an instance or a resource; gt, lt, st only on a
// numeric (Integer, Unsigned Integer, Float) resource (§5.1.2: "only … Resource"). A resource's
// effective attribute is its own, else its instance's, else its object's (§5.1.2 inheritance).
//
// Write-Attributes takes them as Uri-Query options "pmin=10", "gt=20.5"; a name without a value
// ("pmin") removes the attribute (§5.4.4). Refusals (Error, offset = index of the option):
// bad_value (not a decimal number, negative period or step, an unknown attribute, gt/lt/st on a
// non-numeric resource or above resource level, a combination §5.1.2 forbids: lt ≥ gt,
// lt + 2·st ≥ gt, epmax ≤ epmin, pmax < pmin), duplicate (the same attribute twice).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metercert/lwm2m/links.hpp"
#include "metercert/lwm2m/types.hpp"
#include "metercert/time.hpp"

namespace metercert::lwm2m {

struct Attributes {
    std::optional<std::uint32_t> pmin, pmax, epmin, epmax;  // s
    std::optional<double> gt, lt, st;
    [[nodiscard]] bool empty() const noexcept { return !pmin && !pmax && !epmin && !epmax && !gt && !lt && !st; }
    friend bool operator==(const Attributes&, const Attributes&) = default;
};

// `target`: the attributes' path (depth 1–4); `numeric`: the resource at that path is numeric.
// On success `current` holds the result; on failure it is unchanged.
bool write_attributes(std::span<const std::string> options, const Path& target, bool numeric, Attributes& current, Error& err) noexcept;
// The link parameters of Discover (§5.4.2): "pmin=10", "gt=50.5", in the order pmin, pmax, gt,
// lt, st, epmin, epmax
std::vector<LinkParam> link_params(const Attributes& a);
// The effective attributes of a resource from its object's, instance's and own
Attributes effective(const Attributes& object, const Attributes& instance, const Attributes& resource);

// When to notify (TS 1.1 §5.1.2 and §5.5 "Observe"/"Notify"): `last` is the last notification
// (time and the numeric value it carried; nullopt value for non-numeric resources), `now` and
// `value` the current evaluation, `changed` whether the value differs from the last notified one.
struct NotifyDecision {
    bool notify = false;
    // when the caller should evaluate again (nullopt: only on the next change of value). After a
    // notification, measured from `now`.
    std::optional<TimePoint> next_check;
};
NotifyDecision decide_notify(const Attributes& a, TimePoint last_time, std::optional<double> last_value, TimePoint now,
                             std::optional<double> value, bool changed) noexcept;

}  // namespace metercert::lwm2m
