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
    const std::size_t count = o.secondaries.empty() ? o.count : o.secondaries.size();
    for (std::size_t i = 0; i < count; ++i) {
        meters_.push_back(std::make_unique<E350>(o.readout));
        Cmi1020Config cfg;
        cfg.fabrication_number = bcd_add(o.fabrication_base, static_cast<std::uint32_t>(i));
        cfg.first_readout_ms = o.first_readout_ms;
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
                    o.secondaries.empty() ? bcd_add(*first, static_cast<std::uint32_t>(i)) : o.secondaries[i];
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
    s.power_cycle();
    if (fault_ == Cmi1020Fault::settings_lost)  // the EEPROM forgot: factory defaults (§8.2)
        s.on_frame(mbus::build_long(0x53, s.settings().primary_address, 0x50, std::vector<std::uint8_t>{0xB0}));
}

void Cmi1020Bus::set_fault(Cmi1020Fault f) {
    fault_ = f;
    for (auto& s : slaves_) {
        s->repeat_static_data(f == Cmi1020Fault::table5_repeated);
        s->set_fault(f);  // the faults the slave's own logic shows (faults.hpp: padded_id_*, out_of_range_applied)
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

std::optional<std::vector<std::uint8_t>> Cmi1020Bus::on_frame(std::span<const std::uint8_t> frame, std::uint64_t now_ms,
                                                              unsigned baud) {
    advance_to(now_ms);
    std::vector<std::vector<std::uint8_t>> replies;
    std::vector<std::size_t> senders;
    for (std::size_t i = 0; i < slaves_.size(); ++i) {
        if (baud != 0 && slaves_[i]->baud() != baud) continue;
        std::optional<std::vector<std::uint8_t>> r;
        if (fault_ == Cmi1020Fault::none) {
            r = slaves_[i]->on_frame(frame);
        } else {
            const auto seen = fault_on_request(fault_, frame, slaves_[i]->settings().primary_address);
            if (!seen.empty()) r = slaves_[i]->on_frame(seen);
            if (r) {
                r = fault_on_reply(fault_, frame, std::move(*r));
                if (r->empty()) r.reset();
            } else if (!seen.empty()) {
                auto said = fault_on_silence(fault_, seen, slaves_[i]->settings().primary_address);
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
    for (std::size_t i : senders) offsets.push_back(reply_offset_tenths(i));
    UartResult u = collide_uart(replies, offsets);
    last_line_errors_ = u.parity_errors + u.framing_errors;
    return std::move(u.bytes);
}

Cmi1020Bus::UartResult Cmi1020Bus::collide_uart(const std::vector<std::vector<std::uint8_t>>& replies,
                                               const std::vector<unsigned>& offsets_tenths) {
    constexpr std::size_t kTicks = 10;  // resolution: tenths of a bit
    unsigned base = ~0u;
    for (unsigned o : offsets_tenths) base = std::min(base, o);
    std::size_t len = 0;
    for (std::size_t r = 0; r < replies.size(); ++r)
        len = std::max(len, (offsets_tenths[r] - base) + replies[r].size() * 11 * kTicks);
    len += 11 * kTicks;  // idle tail
    std::vector<std::uint8_t> line(len, 1);
    for (std::size_t r = 0; r < replies.size(); ++r) {
        std::size_t t = offsets_tenths[r] - base;
        for (std::uint8_t byte : replies[r]) {
            unsigned bits[11];
            bits[0] = 0;
            unsigned ones = 0;
            for (unsigned b = 0; b < 8; ++b) ones += bits[1 + b] = (byte >> b) & 1u;
            bits[9] = ones & 1u;  // even parity
            bits[10] = 1;
            for (unsigned bit : bits) {
                if (bit == 0) std::fill(line.begin() + static_cast<long>(t), line.begin() + static_cast<long>(t + kTicks), 0);
                t += kTicks;
            }
        }
    }
    UartResult out;
    std::size_t t = 0;
    while (t + 11 * kTicks <= len) {
        if (line[t] != 0) {  // idle: wait for a falling edge
            ++t;
            continue;
        }
        auto sample = [&](unsigned bit) { return line[t + bit * kTicks + kTicks / 2]; };
        if (sample(0) != 0) {  // a glitch shorter than half a bit: not a start bit
            ++t;
            continue;
        }
        std::uint8_t byte = 0;
        unsigned ones = 0;
        for (unsigned b = 0; b < 8; ++b)
            if (sample(1 + b)) byte = static_cast<std::uint8_t>(byte | (1u << b)), ++ones;
        if (sample(9) != (ones & 1u)) ++out.parity_errors;
        out.bytes.push_back(byte);
        if (sample(10) != 1) {
            ++out.framing_errors;
            t += 10 * kTicks + kTicks / 2;  // resync from the middle of the stop bit
            while (t < len && line[t] == 0) ++t;
            continue;
        }
        t += 10 * kTicks + kTicks / 2;  // middle of the stop bit: the next start is a falling edge
    }
    return out;
}

}  // namespace metercert::devices
