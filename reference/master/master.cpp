#include "metercert/master/master.hpp"

#include <fmt/format.h>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

namespace metercert::master {

std::string_view outcome_name(Exchange::Outcome o) noexcept {
    switch (o) {
        case Exchange::Outcome::frame: return "frame";
        case Exchange::Outcome::timeout: return "timeout";
        case Exchange::Outcome::garbled: return "garbled";
    }
    return "?";
}

// ------------------------------------------------------------------------------------ Master

Master::Master(BusPort& port, MasterSettings settings) : port_(port), settings_(settings) {}

Duration Master::response_timeout() const noexcept {
    return settings_.response_timeout > Duration{} ? settings_.response_timeout : max_response(port_.baud());
}

Exchange Master::exchange(std::span<const std::uint8_t> request) {
    const TimePoint t0 = port_.now();
    if (after_collision_ && settings_.collision_idle > Duration{}) port_.idle(settings_.collision_idle);
    else if (settings_.request_idle > Duration{}) port_.idle(settings_.request_idle);
    after_collision_ = false;
    ++counters_.telegrams;
    Exchange ex;
    try {
        ex = port_.transact(request, response_timeout());
    } catch (const PortError&) {
        counters_.bus += port_.now() - t0;
        throw;
    }
    if (ex.outcome == Exchange::Outcome::timeout) ++counters_.timeouts;
    if (ex.outcome == Exchange::Outcome::garbled) {
        ++counters_.collisions;
        after_collision_ = true;
    }
    counters_.bus += port_.now() - t0;
    return ex;
}

namespace {
[[noreturn]] void fail_exchange(const Exchange& ex, const char* what) {
    if (ex.outcome == Exchange::Outcome::timeout)
        throw MasterError("timeout", fmt::format("{}: no reply within the response timeout", what));
    throw MasterError("bad_reply", fmt::format("{}: garbled reply ({} bytes): {}", what, ex.bytes.size(), ex.error.message()));
}
}  // namespace

void Master::expect_ack(const Exchange& ex, const char* what) {
    if (ex.outcome != Exchange::Outcome::frame) fail_exchange(ex, what);
    if (ex.bytes.size() != 1 || ex.bytes[0] != mbus::kAck)
        throw MasterError("nack", fmt::format("{}: expected ACK (E5), got a {}-byte frame", what, ex.bytes.size()));
}

std::vector<std::uint8_t> Master::expect_rsp_ud(const Exchange& ex, std::uint8_t a, const char* what) {
    if (ex.outcome != Exchange::Outcome::frame) fail_exchange(ex, what);
    mbus::LinkFrame f;
    mbus::DecodeError err;
    if (!mbus::parse_link(ex.bytes, f, err) || f.kind != mbus::FrameKind::long_frame || (f.c.raw & 0xCF) != 0x08)
        throw MasterError("bad_reply", fmt::format("{}: expected RSP_UD (long frame, C 0x08), got {} bytes", what, ex.bytes.size()));
    if (a <= 250 && f.a != a)
        throw MasterError("bad_reply", fmt::format("{}: RSP_UD from address {}, expected {}", what, f.a, a));
    return ex.bytes;
}

bool Master::snd_nke(std::uint8_t a) {
    const auto req = mbus::build_short(mbus::kSndNke, a);
    fcb_[a] = false;  // next FCV=1 request carries FCB = 1 (EN 13757-2)
    if (a == 255) {
        broadcast(req);
        return true;
    }
    const Exchange ex = exchange(req);
    if (settings_.init_idle > Duration{}) {
        const TimePoint t0 = port_.now();
        port_.idle(settings_.init_idle);
        counters_.bus += port_.now() - t0;
    }
    if (ex.outcome == Exchange::Outcome::timeout) return false;
    expect_ack(ex, "SND_NKE");
    return true;
}

void Master::broadcast(std::span<const std::uint8_t> request) {
    ++counters_.telegrams;
    const TimePoint t0 = port_.now();
    port_.send(request, response_timeout());
    counters_.bus += port_.now() - t0;
}

ReadTelegram Master::request_ud2(std::uint8_t a) {
    const bool fcb = !fcb_[a];
    const Exchange ex = exchange(mbus::build_short(static_cast<std::uint8_t>(0x5B | (fcb ? 0x20 : 0)), a));
    ReadTelegram t{expect_rsp_ud(ex, a, "REQ_UD2"), ex.reply_gap};
    fcb_[a] = fcb;  // toggled only after a valid reply (a retry repeats the FCB)
    return t;
}

std::vector<std::uint8_t> Master::req_ud2(std::uint8_t a) { return request_ud2(a).frame; }

std::vector<std::uint8_t> Master::req_ud1(std::uint8_t a) {
    for (unsigned attempt = 0;; ++attempt) {
        const bool fcb = !fcb_[a];
        const auto req = mbus::build_short(static_cast<std::uint8_t>(0x5A | (fcb ? 0x20 : 0)), a);
        const Exchange ex = exchange(req);
        try {
            if (ex.outcome == Exchange::Outcome::frame && ex.bytes.size() == 1 && ex.bytes[0] == mbus::kAck) {
                fcb_[a] = fcb;
                return ex.bytes;
            }
            auto reply = expect_rsp_ud(ex, a, "REQ_UD1");
            fcb_[a] = fcb;
            return reply;
        } catch (const MasterError&) {
            if (attempt >= settings_.readout_retries) throw;
            ++counters_.retries;
        }
    }
}

ReadResult Master::read(std::uint8_t a) {
    ReadResult out;
    const unsigned limit = std::max(1u, settings_.multi_telegram_limit);
    for (;;) {
        ReadTelegram tg;
        for (unsigned attempt = 0;; ++attempt) {
            try {
                tg = request_ud2(a);
                break;
            } catch (const MasterError&) {
                if (attempt >= settings_.readout_retries) throw;
                ++counters_.retries;
            }
        }
        mbus::Telegram t;
        mbus::DecodeError err;
        const bool more = mbus::decode(tg.frame, t, err) && t.more_records_follow();
        out.telegrams.push_back(std::move(tg));
        if (!more) return out;
        if (out.telegrams.size() >= limit) {
            out.truncated = true;
            return out;
        }
    }
}

void Master::snd_ud(std::uint8_t a, std::uint8_t ci, std::span<const std::uint8_t> data) {
    const auto req = mbus::build_long(mbus::kSndUd, a, ci, data);
    if (a == 255) {
        broadcast(req);
        return;
    }
    for (unsigned attempt = 0;; ++attempt) {
        try {
            expect_ack(exchange(req), "SND_UD");
            return;
        } catch (const MasterError&) {
            if (attempt >= settings_.selection_retries) throw;
            ++counters_.retries;
        }
    }
}

SelectResult Master::select(const mbus::SecondaryMask& mask) {
    const auto data = mask.user_data();
    const Exchange ex = exchange(mbus::build_long(mbus::kSndUd, 253, 0x52, data));
    fcb_[253] = false;  // ERRATA E-21: a selected slave starts its link afresh
    if (ex.outcome == Exchange::Outcome::timeout) return SelectResult::none;
    if (ex.outcome == Exchange::Outcome::garbled) return SelectResult::collision;
    if (ex.bytes.size() == 1 && ex.bytes[0] == mbus::kAck) return SelectResult::ack;
    return SelectResult::collision;  // a frame other than ACK in reply to a selection: not one clean slave
}

void Master::select_exact(const mbus::SecondaryMask& mask) {
    for (unsigned attempt = 0;; ++attempt) {
        const SelectResult r = select(mask);
        if (r == SelectResult::ack) return;
        if (attempt >= settings_.selection_retries) {
            if (r == SelectResult::none)
                throw MasterError("timeout", fmt::format("selection of {}: no ACK", mask.to_string()));
            throw MasterError("collision", fmt::format("selection of {}: collision (more than one slave answered)", mask.to_string()));
        }
        ++counters_.retries;
    }
}

void Master::switch_baud(std::uint8_t a, unsigned baud) {
    std::uint8_t ci = 0;
    switch (baud) {
        case 300: ci = 0xB8; break;
        case 600: ci = 0xB9; break;
        case 1200: ci = 0xBA; break;
        case 2400: ci = 0xBB; break;
        case 4800: ci = 0xBC; break;
        case 9600: ci = 0xBD; break;
        case 19200: ci = 0xBE; break;
        case 38400: ci = 0xBF; break;
        default: throw std::invalid_argument(fmt::format("baud rate {} has no CI code (EN 13757-2: 300…38400)", baud));
    }
    snd_ud(a, ci, {});
    port_.set_baud(baud);
}

}  // namespace metercert::master
