// Model of the Landis+Gyr E350 as the CMi1020 sees it through its IEC 62056-21 port: it supplies
// readouts, honours P1 passwords and P2 keys at sign-on, executes disconnector (0xFF21), rate
// (0xFF05) and LCD (0xFF22–0xFF29) commands and records them for inspection, and can be told to
// misbehave (faults) so that the CMi1020's error flags can be checked (CMi1020 manual Table 5).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/devices/fault_spec.hpp"
#include "metercert/obis/readout.hpp"
#include "metercert/time.hpp"

namespace metercert::devices {

// The meter's faults (E350::fault): none is the reference meter; each other value is one entry of
// the meter's fault list, e350_faults() below, which names it and holds its hooks (same order).
enum class MeterFault : std::uint8_t {
    none,
    no_meter,
    id_timeout,
    id_receive_error,
    unexpected_id_char,
    readout_timeout,
    receive_error,
    signon_failure,
    command_failure,
};
// By the names of e350_faults(), and "none".
std::optional<MeterFault> meter_fault_from_name(std::string_view name);
std::string_view meter_fault_name(MeterFault f);

enum class SignOn : std::uint8_t { p1, p2 };

struct MeterCommand {
    std::uint16_t code = 0;  // 0xFF05 rate, 0xFF21 disconnector, 0xFF22..0xFF29 LCD
    SignOn method = SignOn::p1;
    std::vector<std::uint8_t> fields;  // the command's fields as the CMi1020 passed them
};

class E350 {
public:
    // `readout_bytes`: the IEC 62056-21 readout the meter answers with (e.g. the real E350's),
    // framed or a bare data block: it is kept as obis::normalize_readout frames it. Bytes that
    // function rejects are kept unchanged and read() fails on them (receive_error for a bad BCC,
    // else readout_timeout); callers that take a file from a user validate it with
    // normalize_readout first (a named error, line and column).
    explicit E350(std::string readout_bytes);

    enum class ReadStatus : std::uint8_t { ok, id_timeout, id_receive_error, unexpected_id_char, readout_timeout, receive_error };
    struct ReadResult {
        ReadStatus status = ReadStatus::ok;
        std::optional<obis::Readout> readout;
    };
    // One readout cycle (request, identification, data). Faults decide the outcome.
    ReadResult read();

    // Sign-on with the CMi1020's stored P1 password or P2 key, then execute; false when the
    // sign-on or the command fails (the CMi1020 then sets its error flags).
    enum class ExecStatus : std::uint8_t { ok, signon_failed, command_failed };
    ExecStatus execute(const MeterCommand& cmd, const std::string& p1, const std::array<std::uint8_t, 16>& p2);

    // Configuration of the meter itself.
    std::string p1_password = "88888888";         // CMi1020 §8.2 factory default P1
    std::array<std::uint8_t, 16> p2_key{};         // filled with 0x99 (§8.2)
    bool has_disconnector = true;
    MeterFault fault = MeterFault::none;

    // What the meter did, for inspection.
    std::vector<MeterCommand> executed;
    std::optional<bool> disconnector_closed;  // state after the last 0xFF21
    std::uint8_t rate = 0;                    // last rate set by 0xFF05
    std::size_t reads = 0;

    // The readout as the meter sends it (the canonical wire form when it was readable).
    const std::string& readout_bytes() const noexcept { return readout_; }
    void set_readout(std::string bytes);  // as the constructor

    // A load on the meter, W (0: none, the readout never changes by itself). advance_to(t) adds the
    // energy `load_w` took since the previous call (t on the caller's clock, time.hpp; the first
    // call only starts the meter's clock, an earlier t does nothing) to the imported active energy
    // registers the readout has: 1.8.0, the current tariff's register (1.8.1, or 1.8.R after an
    // 0xFF05 command set rate R ≥ 1) and 15.8.0, each in whole units of its last digit (Wh for
    // "042951.721*kWh"; the digits beyond wait until they make a whole unit), width kept. The
    // CMi1020 calls it before each readout and `simulate cmi1020 --probe-pty` before each probe
    // readout, so both see the meter as it is at that moment. A readout the model cannot parse
    // does not grow. set_readout starts afresh (the new readout's values, no energy pending).
    std::uint32_t load_w = 0;  // at most kMaxLoadW (larger: taken as kMaxLoadW)
    static constexpr std::uint32_t kMaxLoadW = 100'000'000;
    void advance_to(TimePoint t);
    [[nodiscard]] std::uint64_t energy_wh() const noexcept;  // taken by the load since the first advance_to

    // What a probe on the meter's optical port receives for a mode C data readout
    // (obis::ModeCMeter's answer): the readout's wire form, damaged as the meter's fault damages
    // the exchange — "" (nothing answers) for no_meter and id_timeout; the identification with a
    // character that is not 7-bit for id_receive_error (a parity error on a real 7E1 line), with
    // a control character after the baud character for unexpected_id_char; the data message cut
    // off half-way (no ETX) for readout_timeout; the BCC inverted for receive_error. The P1/P2
    // and command faults leave the readout alone. Does not count as a read() (reads).
    [[nodiscard]] std::string optical_answer() const;

private:
    std::string readout_;
    std::optional<TimePoint> clock_;    // the last advance_to
    std::uint64_t energy_wh_ = 0;    // Wh the load took since the first advance_to
    std::uint64_t pending_wus_ = 0;  // and W·µs short of the next Wh (< 3.6e9)
    std::uint64_t applied_wh_ = 0;   // Wh of it already in the registers
};

// The E350's faults: how the meter behind a CMi1020 misbehaves on its IEC 62056-21 port, so that
// the CMi1020's Table 5 error flags can be checked (`simulate cmi1020 --meter-fault NAME`,
// `meter.fault = NAME` in a case). One list (fault_spec.hpp), each entry with its hooks — the
// points of the meter's exchange where it acts; a hook left empty is the reference meter there.
struct E350FaultHooks {
    // Readout: the outcome of every readout cycle (request, identification, data); ok: the readout.
    E350::ReadStatus read = E350::ReadStatus::ok;
    // Sign-on: the P1/P2 sign-on is refused whatever the password or key.
    bool signon_refused = false;
    // Command: a command after a good sign-on is refused.
    bool command_refused = false;
};

struct E350FaultSpec {
    FaultSpec spec;
    MeterFault fault;
    E350FaultHooks hooks;
};

// Every fault of the meter model, in MeterFault's order (none excluded).
std::span<const E350FaultSpec> e350_faults() noexcept;
// The same list as name, clause and summary.
std::span<const FaultSpec> e350_fault_specs() noexcept;
// The entry of `f`; nullptr for none.
const E350FaultSpec* e350_fault(MeterFault f) noexcept;

}  // namespace metercert::devices
