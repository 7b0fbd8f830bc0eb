#include "metercert/devices/e350.hpp"

#include <array>

namespace metercert::devices {

namespace {
constexpr std::array<std::pair<MeterFault, std::string_view>, 9> kFaults{{
    {MeterFault::none, "none"},
    {MeterFault::no_meter, "no_meter"},
    {MeterFault::id_timeout, "id_timeout"},
    {MeterFault::id_receive_error, "id_receive_error"},
    {MeterFault::unexpected_id_char, "unexpected_id_char"},
    {MeterFault::readout_timeout, "readout_timeout"},
    {MeterFault::receive_error, "receive_error"},
    {MeterFault::signon_failure, "signon_failure"},
    {MeterFault::command_failure, "command_failure"},
}};
}  // namespace

std::optional<MeterFault> meter_fault_from_name(std::string_view name) {
    for (const auto& [f, n] : kFaults)
        if (n == name) return f;
    return std::nullopt;
}

std::string_view meter_fault_name(MeterFault f) {
    for (const auto& [g, n] : kFaults)
        if (g == f) return n;
    return "unknown";
}

namespace {
// The wire form of a readout file: a bare data block framed (identification line, STX … ETX,
// BCC), LF line ends made CR LF. Bytes normalize_readout rejects are kept as they are: read()
// then reports them the way a CMi1020 sees a meter it cannot read (receive error / timeout), so
// a deliberately broken readout still exercises those flags. Commands validate files up front.
std::string framed(std::string bytes) {
    try {
        return obis::normalize_readout(bytes);
    } catch (const obis::ReadoutError&) {
        return bytes;
    }
}
}  // namespace

E350::E350(std::string readout_bytes) : readout_(framed(std::move(readout_bytes))) { p2_key.fill(0x99); }

void E350::set_readout(std::string bytes) { readout_ = framed(std::move(bytes)); }

E350::ReadResult E350::read() {
    ++reads;
    switch (fault) {
        case MeterFault::no_meter:
        case MeterFault::id_timeout: return {ReadStatus::id_timeout, std::nullopt};
        case MeterFault::id_receive_error: return {ReadStatus::id_receive_error, std::nullopt};
        case MeterFault::unexpected_id_char: return {ReadStatus::unexpected_id_char, std::nullopt};
        case MeterFault::readout_timeout: return {ReadStatus::readout_timeout, std::nullopt};
        case MeterFault::receive_error: return {ReadStatus::receive_error, std::nullopt};
        default: break;
    }
    try {
        return {ReadStatus::ok, obis::parse_readout(readout_)};
    } catch (const obis::ReadoutError& e) {
        // a readout the meter model itself cannot send cleanly looks like a receive error
        return {e.name == "bad_bcc" ? ReadStatus::receive_error : ReadStatus::readout_timeout, std::nullopt};
    }
}

E350::ExecStatus E350::execute(const MeterCommand& cmd, const std::string& p1, const std::array<std::uint8_t, 16>& p2) {
    if (fault == MeterFault::no_meter || fault == MeterFault::signon_failure) return ExecStatus::signon_failed;
    if (cmd.method == SignOn::p1 ? p1 != p1_password : p2 != p2_key) return ExecStatus::signon_failed;
    if (fault == MeterFault::command_failure) return ExecStatus::command_failed;
    if (cmd.code == 0xFF21 && !has_disconnector) return ExecStatus::command_failed;
    executed.push_back(cmd);
    if (cmd.code == 0xFF21 && !cmd.fields.empty()) disconnector_closed = cmd.fields[0] != 0;
    if (cmd.code == 0xFF05 && !cmd.fields.empty()) rate = cmd.fields[0];
    return ExecStatus::ok;
}

}  // namespace metercert::devices
