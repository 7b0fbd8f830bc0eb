#include "metercert/devices/e350.hpp"

#include <algorithm>
#include <array>
#include <iterator>

#include <fmt/format.h>

namespace metercert::devices {

namespace {
using RS = E350::ReadStatus;

// The meter's fault list. Clause: the IEC 62056-21 mode C exchange the fault breaks; the summary
// ends with the CMi1020 Table 5 error flag (FD17 bit) that must report it.
constexpr E350FaultSpec kFaults[] = {
    {{"no_meter", "IEC 62056-21 mode C: request → identification message",
      "nothing answers on the optical port: the ID string times out and every sign-on fails (FD17 bits 0, 23)"},
     MeterFault::no_meter, {.read = RS::id_timeout, .signon_refused = true}},
    {{"id_timeout", "IEC 62056-21 mode C: identification message", "the meter starts but the ID string times out (FD17 bit 0)"},
     MeterFault::id_timeout, {.read = RS::id_timeout}},
    {{"id_receive_error", "IEC 62056-21 mode C: identification message",
      "the ID string arrives with a framing or parity error (FD17 bit 1)"},
     MeterFault::id_receive_error, {.read = RS::id_receive_error}},
    {{"unexpected_id_char", "IEC 62056-21 mode C: identification message",
      "an unexpected character in the ID string (FD17 bit 2)"},
     MeterFault::unexpected_id_char, {.read = RS::unexpected_id_char}},
    {{"readout_timeout", "IEC 62056-21 mode C: data message", "the data readout stops before ETX (FD17 bit 3)"},
     MeterFault::readout_timeout, {.read = RS::readout_timeout}},
    {{"receive_error", "IEC 62056-21 mode C: data message (BCC)", "the data readout arrives with a bad BCC (FD17 bit 4)"},
     MeterFault::receive_error, {.read = RS::receive_error}},
    {{"signon_failure", "IEC 62056-21 mode C: password (P1/P2) sign-on",
      "the P1/P2 sign-on is refused whatever the password or key (FD17 bit 23)"},
     MeterFault::signon_failure, {.signon_refused = true}},
    {{"command_failure", "IEC 62056-21 mode C: programming command",
      "a command after a good sign-on is refused (FD17 bits 9–18: the command's own bit)"},
     MeterFault::command_failure, {.command_refused = true}},
};
constexpr auto kSpecs = specs_of(kFaults);

constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < std::size(kFaults); ++i)
        if (kFaults[i].fault != static_cast<MeterFault>(i + 1)) return false;
    return true;
}
static_assert(in_enum_order() && std::size(kFaults) == static_cast<std::size_t>(MeterFault::command_failure),
              "kFaults follows MeterFault: entry i is MeterFault(i + 1), one entry per fault");
}  // namespace

std::span<const E350FaultSpec> e350_faults() noexcept { return kFaults; }

std::span<const FaultSpec> e350_fault_specs() noexcept { return kSpecs; }

const E350FaultSpec* e350_fault(MeterFault f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i >= 1 && i <= std::size(kFaults) ? &kFaults[i - 1] : nullptr;
}

std::optional<MeterFault> meter_fault_from_name(std::string_view name) {
    if (name == "none") return MeterFault::none;
    const FaultSpec* f = find_fault(kSpecs, name);
    if (!f) return std::nullopt;
    return kFaults[f - kSpecs.data()].fault;
}

std::string_view meter_fault_name(MeterFault f) {
    if (f == MeterFault::none) return "none";
    const E350FaultSpec* s = e350_fault(f);
    return s ? s->spec.name : "unknown";
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

void E350::set_readout(std::string bytes) {
    readout_ = framed(std::move(bytes));
    energy_wh_ = pending_wus_ = applied_wh_ = 0;
}

std::uint64_t E350::energy_wh() const noexcept { return energy_wh_; }

namespace {
// `digits` ("042951.721") plus `units` of its last digit, same width and decimals; nullopt when it
// is no plain decimal number.
std::optional<std::string> add_units(std::string_view digits, std::uint64_t units) {
    std::string m;
    std::size_t dot = std::string_view::npos;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (digits[i] == '.' && dot == std::string_view::npos) dot = i;
        else if (digits[i] >= '0' && digits[i] <= '9') m += digits[i];
        else return std::nullopt;
    }
    if (m.empty() || m.size() > 18) return std::nullopt;
    const std::uint64_t v = std::stoull(m) + units;
    std::string out = std::to_string(v);
    if (out.size() < m.size()) out.insert(0, m.size() - out.size(), '0');
    if (dot != std::string_view::npos) out.insert(out.size() - (digits.size() - dot - 1), 1, '.');
    return out;
}
}  // namespace

void E350::advance_to(TimePoint t) {
    if (!clock_) {
        clock_ = t;
        return;
    }
    if (t <= *clock_) return;
    // W·µs in steps of at most an hour (≤ 1e8 W × 3.6e9 µs: no overflow of 64 bits)
    constexpr std::uint64_t kWus = 3'600'000'000u;  // one Wh
    const std::uint64_t w = std::min(load_w, kMaxLoadW);
    for (auto dt = static_cast<std::uint64_t>((t - *clock_).count()); dt > 0;) {
        const std::uint64_t step = std::min<std::uint64_t>(dt, kWus);
        pending_wus_ += w * step;
        energy_wh_ += pending_wus_ / kWus;
        pending_wus_ %= kWus;
        dt -= step;
    }
    clock_ = t;
    const std::uint64_t wh = energy_wh_;
    if (wh == applied_wh_) return;
    obis::Readout r;
    try {
        r = obis::parse_readout(readout_);
    } catch (const obis::ReadoutError&) {
        return;  // a deliberately broken readout stays as it is
    }
    const std::string tariff = fmt::format("1.8.{}", rate >= 1 ? rate : 1);
    for (auto& line : r.lines) {
        if (line.code_text != "1.8.0" && line.code_text != tariff && line.code_text != "15.8.0") continue;
        if (line.values.empty() || line.values[0].unit != "kWh") continue;
        auto& v = line.values[0];
        const auto dot = v.value.find('.');
        const std::size_t decimals = dot == std::string::npos ? 0 : v.value.size() - dot - 1;
        if (decimals > 3) continue;  // finer than Wh: not this model's registers
        std::uint64_t scale = 1;      // Wh per unit of the last digit
        for (std::size_t i = decimals; i < 3; ++i) scale *= 10;
        const std::uint64_t units = wh / scale - applied_wh_ / scale;
        if (units == 0) continue;
        const auto grown = add_units(v.value, units);
        if (!grown) continue;
        const auto at = v.raw.find(v.value);
        v.raw = at == std::string::npos ? *grown : v.raw.substr(0, at) + *grown + v.raw.substr(at + v.value.size());
        v.value = *grown;
    }
    applied_wh_ = wh;
    readout_ = obis::render_readout(r);
}

E350::ReadResult E350::read() {
    ++reads;
    if (const E350FaultSpec* f = e350_fault(fault); f && f->hooks.read != ReadStatus::ok)  // readout hook
        return {f->hooks.read, std::nullopt};
    try {
        return {ReadStatus::ok, obis::parse_readout(readout_)};
    } catch (const obis::ReadoutError& e) {
        // a readout the meter model itself cannot send cleanly looks like a receive error
        return {e.name == "bad_bcc" ? ReadStatus::receive_error : ReadStatus::readout_timeout, std::nullopt};
    }
}

std::string E350::optical_answer() const {
    std::string out = readout_;
    const auto eol = out.find("\r\n");
    const auto stx = out.find('\x02');
    switch (fault) {
    case MeterFault::no_meter:
    case MeterFault::id_timeout:
        return {};
    case MeterFault::id_receive_error:
        if (eol != std::string::npos && eol > 6) out[6] = static_cast<char>(static_cast<unsigned char>(out[6]) | 0x80);
        return out;
    case MeterFault::unexpected_id_char:
        if (eol != std::string::npos && eol > 5) out.insert(5, 1, '\x01');
        return out;
    case MeterFault::readout_timeout:
        return stx == std::string::npos ? out : out.substr(0, stx + (out.size() - stx) / 2);
    case MeterFault::receive_error:
        if (!out.empty()) out.back() = static_cast<char>(~static_cast<unsigned char>(out.back()) & 0x7F);
        return out;
    default:
        return out;
    }
}

E350::ExecStatus E350::execute(const MeterCommand& cmd, const std::string& p1, const std::array<std::uint8_t, 16>& p2) {
    const E350FaultSpec* f = e350_fault(fault);
    if (f && f->hooks.signon_refused) return ExecStatus::signon_failed;  // sign-on hook
    if (cmd.method == SignOn::p1 ? p1 != p1_password : p2 != p2_key) return ExecStatus::signon_failed;
    if (f && f->hooks.command_refused) return ExecStatus::command_failed;  // command hook
    if (cmd.code == 0xFF21 && !has_disconnector) return ExecStatus::command_failed;
    executed.push_back(cmd);
    if (cmd.code == 0xFF21 && !cmd.fields.empty()) disconnector_closed = cmd.fields[0] != 0;
    if (cmd.code == 0xFF05 && !cmd.fields.empty()) rate = cmd.fields[0];
    return ExecStatus::ok;
}

}  // namespace metercert::devices
