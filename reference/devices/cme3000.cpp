#include "metercert/devices/cme3000.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace metercert::devices {

std::string Cme3000Statistics::to_json() const {
    return fmt::format(
        "{{\"completed_accepts\":{},\"disconnects\":{},\"dropped_accepts\":{},\"octets_forwarded_from_serial\":{},"
        "\"octets_forwarded_from_network\":{},\"accept_connection_ms\":{},\"serial\":{{\"rx_bytes\":{},\"tx_bytes\":{},"
        "\"rx_breaks\":{},\"tx_breaks\":{},\"parity_errors\":{},\"framing_errors\":{},\"overrun_errors\":{}}}}}",
        completed_accepts, disconnects, dropped_accepts, octets_from_serial, octets_from_network, accept_connection_ms,
        rx_bytes, tx_bytes, rx_breaks, tx_breaks, parity_errors, framing_errors, overrun_errors);
}

Cme3000::AcceptDecision Cme3000::on_connect(TimePoint now) {
    if (connected_) {
        if (settings_.deviations.dropped_counted_as_completed) {
            ++stats_.completed_accepts;
            return AcceptDecision::drop;
        }
        ++stats_.dropped_accepts;
        return AcceptDecision::drop;
    }
    connected_ = true;
    connected_at_ = last_activity_ = now;
    ++stats_.completed_accepts;
    return AcceptDecision::accept;
}

void Cme3000::on_disconnect(TimePoint now) {
    if (!connected_) return;
    connected_ = false;
    ++stats_.disconnects;
    stats_.accept_connection_ms += static_cast<std::uint64_t>(
        std::chrono::floor<std::chrono::milliseconds>(std::max(now - connected_at_, Duration{})).count());
}

void Cme3000::on_network_bytes(std::size_t n, TimePoint now) {
    stats_.octets_from_network += n;
    stats_.tx_bytes += n;
    last_activity_ = now;
}

void Cme3000::on_serial_bytes(std::size_t n, TimePoint now) {
    stats_.rx_bytes += n;
    if (connected_) {
        if (!settings_.deviations.serial_octets_not_counted) stats_.octets_from_serial += n;
        last_activity_ = now;
    }
}

bool Cme3000::should_disconnect(TimePoint now) const noexcept {
    const auto deadline = next_deadline();
    return deadline && now >= *deadline;
}

std::optional<TimePoint> Cme3000::next_deadline() const noexcept {
    if (!connected_ || settings_.disconnect_timeout_s == 0) return std::nullopt;
    return last_activity_ + std::chrono::seconds(settings_.disconnect_timeout_s);  // Table 3
}

}  // namespace metercert::devices
