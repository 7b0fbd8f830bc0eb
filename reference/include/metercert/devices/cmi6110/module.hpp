// The reference CMi6110 as a whole, run in simulated time (CMi6110 manual §7.3, §7.4, §7.5): its
// UH50 (uh50.hpp), schedule (schedule.hpp) and backlog (backlog.hpp) from a start for a number of
// days, with an optional network outage and one fault (faults.hpp). Pure logic: no clock read, no
// I/O; `metercert simulate cmi6110` and the DUT link sim:cmi6110 both run it.
//
// And the uplinks file ("cmi6110 uplinks", JSON lines; rigs/README.md, vectors/README.md): what
// `simulate cmi6110 --uplinks-out` writes and `--dut cmi6110+uplinks:FILE` reads —
//
//   {"config": {"meter_id": "12345678", "encoding": "senml", "format": "standard",
//               "readout_interval": 60, "transmit_interval": 1440, "transmit_offset": 30,
//               "transmit_delay": 240, "utc_offset": 0, "max_age": 10080, "max_uploads": 4,
//               "order": "lifo", "readouts_per_telegram": 24, "max_payload_bytes": 0,
//               "latency_s": 0}}
//   {"time": "2019-11-28T02:17:09Z", "planned": "2019-11-28T00:00:00Z", "encoding": "senml",
//    "payload": "9818A3216831…", "readouts": 24}
//   …
//
// The first line is the §7.5 configuration the module had (minutes; a key left out has its §7.5
// default, readouts_per_telegram 0 or absent: Ttransmit / Treadout; latency_s: how much later
// than its transmission an uplink may have been received, 0 for the simulator). Each further line
// is one uplink: "time", when it was sent (or received: a capture from a server), UTC,
// "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MMZ"; "encoding" "senml" | "mbus" | "json";
// "payload", upper- or lower-case hex for senml and mbus, the JSON text itself for json;
// optional "planned" (T1, UTC) and "readouts" (how many the telegram holds). Empty lines are
// allowed. A bad file is an UplinksError naming the line (1-based) and the key.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/devices/cmi6110/backlog.hpp"
#include "metercert/devices/cmi6110/faults.hpp"
#include "metercert/devices/cmi6110/schedule.hpp"
#include "metercert/devices/cmi6110/uh50.hpp"
#include "metercert/time.hpp"

namespace metercert::devices::cmi6110 {

// The §7.5 settings the uplinks depend on (Table 11 defaults; ERRATA E-60, E-62)
struct ModuleConfig {
    std::string meter_id = "12345678";  // the UH50's 8 BCD digits
    ScheduleConfig schedule{};
    MessageEncoding encoding = MessageEncoding::senml;
    MessageFormat format = MessageFormat::standard;
    UploadOrder order = UploadOrder::lifo;
    std::chrono::minutes max_age{10080};
    unsigned max_uploads = 4;
    std::size_t readouts_per_telegram = 0;  // 0: Ttransmit / Treadout
    std::size_t max_payload_bytes = 0;      // 0: no limit
    double latency_s = 0;                   // uplinks file only: receive time − transmit time allowed
};

std::string_view encoding_name(MessageEncoding e) noexcept;  // "senml", "mbus", "json"
std::string_view format_name(MessageFormat f) noexcept;      // "standard", "extended"
std::string_view order_name(UploadOrder o) noexcept;         // "fifo", "lifo"

// A §7.5 range error as std::invalid_argument naming the setting ("transmit_delay 0: must be 1..240 (§7.5)")
void check_config(const ModuleConfig& c);

// §7.5 "Power mode" (Table 8): Passive sends nothing; Active attaches and transmits (§5.3.5).
enum class PowerMode : std::uint8_t { passive, active };
std::string_view power_mode_name(PowerMode m) noexcept;  // "passive", "active"

// A press of the push button (§5.3.5, §5.3.6): pressed at `at` (UTC), released `held` later.
struct ButtonPress {
    UtcTime at{};
    std::chrono::milliseconds held{0};
};

// What a release after `held` does in `mode` (§5.3.5 activation "at least 5 seconds", §5.3.6
// reboot "5-15 seconds", switch-off "15-20 seconds"; ERRATA E-111): passive: ≥ 5 s activates;
// active: [5 s, 15 s) reboots, [15 s, 20 s] switches off (to passive), shorter or longer nothing.
enum class ButtonAction : std::uint8_t { none, activate, reboot, switch_off };
ButtonAction button_action(PowerMode mode, std::chrono::milliseconds held, Cmi6110Fault fault = Cmi6110Fault::none) noexcept;
std::string_view button_action_name(ButtonAction a) noexcept;  // "none", "activate", "reboot", "switch_off"

// The LEDs while the push button is held, `held` so far (§5.3.5 "Press down the push button for at
// least 5 seconds until the green LED lights up"; §5.3.6 reboot "Release the button when the green
// LED is lit", switch-off "Release the button when the red LED is lit"; ERRATA E-143): green in
// [5 s, 15 s), red in [15 s, 20 s], both dark before 5 s and after 20 s, in either power mode. The
// indications after the release (start-up flash, join, Figures 6-7) are not modelled.
struct HoldLeds {
    bool green = false;
    bool red = false;
};
HoldLeds hold_leds(std::chrono::milliseconds held, Cmi6110Fault fault = Cmi6110Fault::none) noexcept;

// The supply is off in [from, to) (UTC): no readout, no transmission; the settings, the power
// mode and the unsent readouts are kept (ERRATA E-112).
struct PowerOff {
    UtcTime from{};
    UtcTime to{};
};

struct SimulationRun {
    UtcTime start{};                  // simulated time 0, a whole minute, UTC
    unsigned days = 1;
    UtcTime network_down_from = UtcTime::max();  // transmissions in [from, to) fail
    UtcTime network_down_to = UtcTime::max();
    std::uint64_t seed = 1;           // the meter's and the transmit draws'
    std::vector<Uh50Error> meter_errors;  // set from the start on
    Cmi6110Fault fault = Cmi6110Fault::none;
    // §7.3.2 time synchronisation: the meter's clock is `clock_error` off (meter time = true local
    // time + clock_error) until the module synchronises it at `time_sync` (UTC, inside the run):
    // one readout and one transmission then, and the schedule restarts from the corrected time
    // (ERRATA E-61). Without `time_sync` the error stays.
    std::chrono::minutes clock_error{0};
    std::optional<UtcTime> time_sync;
    // §5.3.5-§5.3.6, §7.5 power mode (ERRATA E-111, E-112): the module's mode at `start` (active:
    // already attached then, as a capture of a running module; passive: as delivered), the
    // supply's off times and the button's presses. Each power-up of an active module, activation
    // and reboot attaches `attach` later, then makes a readout and transmits at once (§5.3.5 "A
    // meter readout will automatically be sent"); until then, while off and while passive the
    // module makes no readout and sends nothing. A press while the supply is off does nothing.
    PowerMode power_mode = PowerMode::active;
    std::vector<PowerOff> power_off;     // in time order, not overlapping
    std::vector<ButtonPress> presses;    // in time order
    std::chrono::seconds attach{30};     // network attach + registration time (0…3600 s)
};

struct Uplink {
    UtcTime time{};        // transmission (UTC)
    UtcTime planned{};     // T1 (UTC)
    MessageEncoding encoding = MessageEncoding::senml;
    std::vector<std::uint8_t> payload;   // DIBs, JSON text bytes or the SenML pack
    std::vector<StoredReadout> readouts; // what it holds (empty when read from a file)
};

struct SimulationResult {
    std::vector<Uplink> uplinks;
    std::size_t missed_transmissions = 0;  // while the network was down
    std::size_t unsent = 0;                // readouts never sent
    std::size_t readouts = 0;              // readouts made
    std::vector<UtcTime> attached;         // each attach after a power-up, activation or reboot (UTC)
    PowerMode final_mode = PowerMode::active;  // the power mode at the end of the run
    // the meter (uh50.hpp): registers start at 0 at `run.start`
    std::int64_t power_w = 0, flow_l_per_h = 0, forward_decidegrees = 0, return_decidegrees = 0;
};

// Runs the module; throws std::invalid_argument for a bad configuration (check_config), a meter
// ID that is not 8 digits or a start that is not a whole minute.
SimulationResult simulate(const ModuleConfig& config, const SimulationRun& run);

// ----------------------------------------------------------------------------- the uplinks file

class UplinksError : public std::runtime_error {
public:
    UplinksError(std::size_t line, std::string key, const std::string& what);
    std::size_t line;  // 1-based
    std::string key;   // the JSON key concerned, or empty
};

struct UplinksFile {
    ModuleConfig config;
    std::vector<Uplink> uplinks;
};

std::string format_utc_seconds(UtcTime t);  // "YYYY-MM-DDTHH:MM:SSZ"
// "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MMZ"; nullopt otherwise
std::optional<UtcTime> parse_utc_text(std::string_view s) noexcept;

std::string config_line(const ModuleConfig& c);  // {"config": {…}} without the newline
std::string uplink_line(const Uplink& u);        // one uplink, without the newline
// Parses a whole file; throws UplinksError (also for no config line, or no uplink at all).
UplinksFile parse_uplinks(std::string_view text);
// A configuration file: one JSON document {"config": {…}} (the uplinks file's first line, which
// may span lines here), the keys of config_line(); a key left out keeps its default. Throws
// UplinksError naming the line (of the JSON error, or 1) and the key.
ModuleConfig parse_config_file(std::string_view text);

}  // namespace metercert::devices::cmi6110
