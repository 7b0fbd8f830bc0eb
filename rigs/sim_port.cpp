#include "metercert/rigs/sim_port.hpp"

#include <cmath>

#include "metercert/mbus/frame_reader.hpp"

namespace metercert::rigs {

master::Exchange classify_reply(std::vector<std::uint8_t> bytes) {
    master::Exchange ex;
    if (bytes.empty()) {
        ex.outcome = master::Exchange::Outcome::timeout;
        return ex;
    }
    mbus::LinkFrame f;
    mbus::DecodeError err;
    if (mbus::parse_link(bytes, f, err)) {
        ex.outcome = master::Exchange::Outcome::frame;
    } else {
        ex.outcome = master::Exchange::Outcome::garbled;
        ex.error = err;
    }
    ex.bytes = std::move(bytes);
    return ex;
}

SimPort::SimPort(devices::Cmi1020Bus& bus, unsigned baud) : bus_(bus), baud_(baud), wall_base_us_(wall_clock_us()) {}

void SimPort::tap(Direction d, std::span<const std::uint8_t> bytes, double at_ms, std::uint8_t flags) {
    if (!tap_) return;
    TapRecord r;
    r.link = LinkKind::mbus;
    r.direction = d;
    r.channel = channel_;
    r.flags = flags;
    r.baud = baud_;
    r.wall_us = wall_base_us_ + static_cast<std::int64_t>(std::llround(at_ms * 1000.0));
    r.bytes.assign(bytes.begin(), bytes.end());
    tap_->record(r);
}

master::Exchange SimPort::transact(std::span<const std::uint8_t> request, Duration timeout) {
    const double timeout_ms = to_ms(timeout);
    tap(Direction::to_dut, request, now_, 0);
    now_ += master::char_time_ms(request.size(), baud_);
    const double end_of_request = now_;
    auto reply = bus_.on_frame(request, slaves_time(), baud_);
    const double gap = reply_gap_bits * 1000.0 / baud_ + to_ms(extra_reply_delay);
    if (!reply || gap > timeout_ms) {
        now_ = end_of_request + timeout_ms;
        master::Exchange ex;
        ex.outcome = master::Exchange::Outcome::timeout;
        return ex;
    }
    master::Exchange ex = classify_reply(std::move(*reply));
    ex.reply_gap = from_ms(gap);
    ex.parity_error = bus_.last_line_errors() > 0;  // a collision the UART flagged
    ex.arrivals.push_back({0, ex.reply_gap});  // the simulated line delivers the reply as one burst
    tap(Direction::from_dut, ex.bytes, end_of_request + gap,
        static_cast<std::uint8_t>((ex.outcome == master::Exchange::Outcome::garbled ? kTapGarbled : 0) |
                                  (ex.parity_error ? kTapParityError : 0)));
    now_ = end_of_request + gap + master::char_time_ms(ex.bytes.size(), baud_);
    return ex;
}

void SimPort::send(std::span<const std::uint8_t> request, Duration settle) {
    tap(Direction::to_dut, request, now_, 0);
    now_ += master::char_time_ms(request.size(), baud_);
    bus_.on_frame(request, slaves_time(), baud_);
    now_ += to_ms(settle);
}

}  // namespace metercert::rigs
