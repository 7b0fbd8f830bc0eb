#include "metercert/devices/bus.hpp"

#include <algorithm>

#include "metercert/mbus/bcd.hpp"
#include "metercert/mbus/collision.hpp"
#include "metercert/mbus/link.hpp"

namespace metercert::devices {

Cmi1020Bus::Cmi1020Bus(const BusOptions& o) {
    std::optional<std::uint32_t> first = o.secondary;
    if (!first && o.count > 1) first = 0x13647123;
    const std::size_t count = o.secondaries.empty() ? o.count : o.secondaries.size();
    for (std::size_t i = 0; i < count; ++i) {
        meters_.push_back(std::make_unique<E350>(o.readout));
        Cmi1020Config cfg;
        cfg.fabrication_number = mbus::bcd_add(o.fabrication_base, static_cast<std::uint32_t>(i));
        cfg.first_readout = o.first_readout;
        slaves_.push_back(std::make_unique<Cmi1020>(cfg, *meters_.back()));
        Cmi1020& s = *slaves_.back();
        if (first || o.address != 0 || !o.secondaries.empty()) {
            // configure through the slave's own commands, as an installer would (§6.7.5/§6.7.6)
            if (o.address != 0) {
                const auto a = static_cast<std::uint8_t>(std::min<std::size_t>(o.address + i, 250));
                s.on_frame(mbus::build_long(0x53, 0, 0x51, std::vector<std::uint8_t>{0x01, 0x7A, a}));
            }
            if (first || !o.secondaries.empty()) {
                const std::uint32_t id =
                    o.secondaries.empty() ? mbus::bcd_add(*first, static_cast<std::uint32_t>(i)) : o.secondaries[i];
                s.on_frame(mbus::build_long(0x53, s.settings().primary_address, 0x51,
                                            std::vector<std::uint8_t>{0x0C, 0x79, static_cast<std::uint8_t>(id),
                                                                      static_cast<std::uint8_t>(id >> 8),
                                                                      static_cast<std::uint8_t>(id >> 16),
                                                                      static_cast<std::uint8_t>(id >> 24)}));
            }
        }
    }
}

void Cmi1020Bus::power_cycle(std::size_t i) {
    Cmi1020& s = slave(i);
    s.power_cycle();  // with the fault's power cycle hook (faults.hpp settings_lost)
}

void Cmi1020Bus::set_fault(const Cmi1020FaultSpec* f) {
    fault_ = f;
    for (auto& s : slaves_) s->set_fault(f);  // the hooks of the slave's own logic (faults.hpp)
}

void Cmi1020Bus::advance_to(TimePoint now) {
    for (auto& s : slaves_) s->advance_to(now);
}

std::optional<TimePoint> Cmi1020Bus::next_deadline() const noexcept {
    std::optional<TimePoint> first;
    for (const auto& s : slaves_) {
        const auto d = s->next_deadline();
        if (d && (!first || *d < *first)) first = d;
    }
    return first;
}

std::optional<std::vector<std::uint8_t>> Cmi1020Bus::on_frame(std::span<const std::uint8_t> frame, TimePoint now,
                                                              unsigned baud) {
    advance_to(now);
    std::vector<std::vector<std::uint8_t>> replies;
    std::vector<std::size_t> senders;
    for (std::size_t i = 0; i < slaves_.size(); ++i) {
        if (baud != 0 && slaves_[i]->baud() != baud) continue;
        std::optional<std::vector<std::uint8_t>> r;
        if (!fault_) {
            r = slaves_[i]->on_frame(frame);
        } else {  // the fault's frame hooks (faults.hpp): received frame, sent frame, silence
            const Cmi1020FaultHooks& h = fault_->hooks;
            const auto seen = h.received ? h.received(frame, slaves_[i]->settings().primary_address)
                                         : std::vector<std::uint8_t>(frame.begin(), frame.end());
            if (!seen.empty()) r = slaves_[i]->on_frame(seen);
            if (r) {
                if (h.sent) r = h.sent(frame, std::move(*r));
                if (r->empty()) r.reset();
            } else if (!seen.empty() && h.silence) {
                auto said = h.silence(seen, slaves_[i]->settings().primary_address);
                if (!said.empty()) r = std::move(said);
            }
        }
        if (r) {
            replies.push_back(std::move(*r));
            senders.push_back(i);
        }
    }
    last_line_errors_ = 0;
    if (replies.empty()) return std::nullopt;
    if (replies.size() == 1) return std::move(replies[0]);
    ++collisions_;
    std::vector<unsigned> offsets;
    offsets.reserve(senders.size());
    for (std::size_t i : senders) offsets.push_back(mbus::reply_offset_tenths(i));
    mbus::UartResult u = mbus::collide_uart(replies, offsets);
    last_line_errors_ = u.parity_errors + u.framing_errors;
    return std::move(u.bytes);
}

}  // namespace metercert::devices
