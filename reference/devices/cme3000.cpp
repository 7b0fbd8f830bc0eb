#include "metercert/devices/cme3000.hpp"

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

Cme3000::AcceptDecision Cme3000::on_connect(std::uint64_t now_ms) {
    if (connected_) {
        ++stats_.dropped_accepts;
        return AcceptDecision::drop;
    }
    connected_ = true;
    connected_at_ = last_activity_ = now_ms;
    ++stats_.completed_accepts;
    return AcceptDecision::accept;
}

void Cme3000::on_disconnect(std::uint64_t now_ms) {
    if (!connected_) return;
    connected_ = false;
    ++stats_.disconnects;
    stats_.accept_connection_ms += now_ms - connected_at_;
}

void Cme3000::on_network_bytes(std::size_t n, std::uint64_t now_ms) {
    stats_.octets_from_network += n;
    stats_.tx_bytes += n;
    last_activity_ = now_ms;
}

void Cme3000::on_serial_bytes(std::size_t n, std::uint64_t now_ms) {
    stats_.rx_bytes += n;
    if (connected_) {
        stats_.octets_from_serial += n;
        last_activity_ = now_ms;
    }
}

bool Cme3000::should_disconnect(std::uint64_t now_ms) const noexcept {
    return connected_ && settings_.disconnect_timeout_s > 0 &&
           now_ms - last_activity_ >= static_cast<std::uint64_t>(settings_.disconnect_timeout_s) * 1000;
}

std::int64_t Cme3000::ms_until_disconnect(std::uint64_t now_ms) const noexcept {
    if (!connected_ || settings_.disconnect_timeout_s == 0) return -1;
    const auto deadline = last_activity_ + static_cast<std::uint64_t>(settings_.disconnect_timeout_s) * 1000;
    return deadline > now_ms ? static_cast<std::int64_t>(deadline - now_ms) : 0;
}

}  // namespace metercert::devices
