#include "metercert/devices/bus.hpp"

#include <algorithm>

#include "metercert/mbus/link.hpp"

namespace metercert::devices {

std::uint32_t bcd_add(std::uint32_t bcd, std::uint32_t n) {
    std::uint32_t dec = 0;
    for (int i = 7; i >= 0; --i) dec = dec * 10 + ((bcd >> (4 * i)) & 0xF);
    dec = (dec + n) % 100000000u;
    std::uint32_t out = 0;
    for (int i = 0; i < 8; ++i) {
        out |= (dec % 10) << (4 * i);
        dec /= 10;
    }
    return out;
}

Cmi1020Bus::Cmi1020Bus(const BusOptions& o) {
    std::optional<std::uint32_t> first = o.secondary;
    if (!first && o.count > 1) first = 0x13647123;
    for (std::size_t i = 0; i < o.count; ++i) {
        meters_.push_back(std::make_unique<E350>(o.readout));
        Cmi1020Config cfg;
        cfg.fabrication_number = bcd_add(o.fabrication_base, static_cast<std::uint32_t>(i));
        cfg.first_readout_ms = o.first_readout_ms;
        slaves_.push_back(std::make_unique<Cmi1020>(cfg, *meters_.back()));
        Cmi1020& s = *slaves_.back();
        if (first || o.address != 0) {
            // configure through the slave's own commands, as an installer would (§6.7.5/§6.7.6)
            if (o.address != 0) {
                const auto a = static_cast<std::uint8_t>(std::min<std::size_t>(o.address + i, 250));
                s.on_frame(mbus::build_long(0x53, 0, 0x51, std::vector<std::uint8_t>{0x01, 0x7A, a}));
            }
            if (first) {
                const std::uint32_t id = bcd_add(*first, static_cast<std::uint32_t>(i));
                s.on_frame(mbus::build_long(0x53, s.settings().primary_address, 0x51,
                                            std::vector<std::uint8_t>{0x0C, 0x79, static_cast<std::uint8_t>(id),
                                                                      static_cast<std::uint8_t>(id >> 8),
                                                                      static_cast<std::uint8_t>(id >> 16),
                                                                      static_cast<std::uint8_t>(id >> 24)}));
            }
        }
    }
}

void Cmi1020Bus::advance_to(std::uint64_t now_ms) {
    for (auto& s : slaves_) s->advance_to(now_ms);
}

std::vector<std::uint8_t> Cmi1020Bus::collide(const std::vector<std::vector<std::uint8_t>>& replies) {
    std::size_t n = 0;
    for (const auto& r : replies) n = std::max(n, r.size());
    std::vector<std::uint8_t> out(n, 0xFF);
    for (const auto& r : replies)
        for (std::size_t i = 0; i < r.size(); ++i) out[i] &= r[i];
    return out;
}

std::optional<std::vector<std::uint8_t>> Cmi1020Bus::on_frame(std::span<const std::uint8_t> frame, std::uint64_t now_ms) {
    advance_to(now_ms);
    std::vector<std::vector<std::uint8_t>> replies;
    for (auto& s : slaves_)
        if (auto r = s->on_frame(frame)) replies.push_back(std::move(*r));
    if (replies.empty()) return std::nullopt;
    if (replies.size() == 1) return std::move(replies[0]);
    ++collisions_;
    return collide(replies);
}

}  // namespace metercert::devices
