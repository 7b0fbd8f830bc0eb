// The CMi6110's configuration and status objects (Elvaco CMi6110 manual §6.3 Tables 1 and 2, §7.5
// Tables 8–12, §7.2 configuration lock, §6.4 APN change) as data, and a device-configuration model
// over them. Pure logic: no I/O, no clock (the current time of 3/0/13 is whatever the caller sets).
//
// The table (`object_table()`): one constexpr row per LwM2M resource of Tables 1 and 2 and per §7.5
// setting that has no LwM2M resource (power mode, configuration lock, bootstrap IP/port, UTC offset
// in minutes, eDRX value, time synchronisation, factory reset: reached only through NFC / the OTC
// App). A row that is both (e.g. 33906/x/0 "Meter Readout Interval" = §7.5 Table 11 "Readout
// interval") carries the LwM2M operations of Table 2 *and* the NFC access of Tables 8–12, and its
// range and default come from §7.5 (Table 2 prints none). Each row says where it comes from
// (`printed`, `source`), and when a reading had to be chosen it names the ERRATA entry and whether
// the choice is implementation-defined (vectors/ERRATA.md E-85 … E-92):
//   E-85 Security object: Table 1's "Secret Key 0/x/4" is resource 5 (LwM2M TS 1.1 Appendix E.1);
//        "R", "R(W)", "(W)", "-" and what a Bootstrap-Server may write
//   E-86 §6.4 APN change: "/10/1/1", "/10/1/2" are 11/1/1, 11/1/2; staging, commit and rollback;
//        11/x/4 "RW … Writing currently not supported"
//   E-87 Which §7.5 setting is which LwM2M resource; "1.. N" is minimum 1 and default N
//   E-88 Factory reset: "default setting for power mode is Active" against the default Passive
//   E-89 Configuration lock and PAK (§7.2): NFC only; the PAK per NFC write; 33906/x/5 mirrors it
//   E-90 UTC offset: Table 8 minutes −720…720 against Table 1 3/0/14 String "UTC+X (ISO 8601)"
//   E-91 Types and ranges Table 1/2 leave out (3/0/9, 3/0/11, 5/0/1, 10/0/9, radio bands,
//        back-off strings) and the instances "./" stands for
//   E-92 Outcomes: which LwM2M response code the model gives for what (below)
//
// The model (`DeviceConfig`): the instances of every row with current values (factory state: the
// defaults), LwM2M read/write/execute by path with LwM2M's response codes as named outcomes
// (`Outcome`), NFC read/write of §7.5 settings by their key under the lock, factory reset, the APN
// staging of §6.4, and the mapping to the schedule (§7.3) and backlog (§7.3.4) configurations.
//
// Outcomes (LwM2M TS 1.1 Core, the "Response Codes" table of the Device Management and Service
// Enablement interface, whose reason phrases are quoted below; ERRATA E-92):
//   * 2.05 Content / 2.04 Changed: done;
//   * 4.04 Not Found ("URI of … operation is not found"): unknown object, instance, resource or
//     resource instance, or a Read of a resource with no value yet (the manual gives no default
//     and nothing set it);
//   * 4.05 Method Not Allowed ("Target is not allowed for … operation"): Read of an E, W, (W) or
//     "-" resource or of a secret key (Appendix E.1: "MUST NOT be readable by any server"); Write
//     from the DM server to R, R(W), (W), E or "-"; Execute of anything but E, and any Execute
//     from the Bootstrap-Server (the Bootstrap interface has no Execute);
//   * 4.00 Bad Request ("The format of data to be written is different"): a value of the wrong
//     type, out of the range, not one of the enumeration, or a string not in its format; and
//     every refused Write from the Bootstrap-Server (to R, E, "-" or a path that does not exist:
//     the Bootstrap interface's Write answers 2.04, 4.00 or 4.15 only);
//   * locked (NFC only, §7.2, not a CoAP code): a write through NFC to a locked module without the
//     correct Product Access Key.
// Secret values (PSKs, the PAK) are never returned by read(), and `to_json()` omits them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "metercert/devices/cmi6110/backlog.hpp"
#include "metercert/devices/cmi6110/schedule.hpp"

namespace metercert::devices::cmi6110 {

// LwM2M data types (LwM2M TS 1.1 Core Appendix C); `none` for executable resources
enum class Lwm2mType : std::uint8_t { string, integer, unsigned_integer, float_, boolean, opaque, time, objlnk, none };

// The "Op." column of Tables 1 and 2
enum class Operations : std::uint8_t {
    none,          // "-": no operation (0/0/4 the bootstrap PSK)
    r,             // R
    w,             // W
    rw,            // RW
    r_bootstrap_w, // R(W): readable, writable only by the Bootstrap-Server ("Writable by Bootstrap server")
    bootstrap_w,   // (W): writable only by the Bootstrap-Server, never readable
    e,             // E
};

// The two "Device access" columns of Tables 8–12 (NFC through the OTC App)
enum class NfcAccess : std::uint8_t { not_applicable, readable, writable, read_write };

// What an executable resource (or an NFC action) asks the module to do
enum class Action : std::uint8_t {
    none,
    bootstrap_request,        // 1/0/9 Bootstrap-Request Trigger
    registration_update,      // 1/1/8 Registration Update Trigger
    reboot,                   // 3/0/4 Reboot
    firmware_update,          // 5/0/2 Update (firmware update trigger)
    readout_now,              // 33906/0/10 Instantaneous readout trigger
    resend_history,           // 33906/0/13 Historic resend trigger ("upload of all historic data")
    apply_apn_staging,        // 33906/0/15 Apply APN staging profile (§6.4: the device resets)
    modem_firmware_update,    // 33909/0/7 Modem firmware update (modem FOTA)
    reset_statistics,         // 33910/0/0 Reset statistics
    factory_reset,            // §7.5 Table 8 Factory reset (NFC)
    synchronise_time,         // §7.5 Table 8 Synchronize meter time (NFC)
};
std::string_view action_name(Action a) noexcept;

struct Enumerator {
    std::int64_t value;
    std::string_view name;
};

// How a string value must look (beyond its length)
enum class StringFormat : std::uint8_t {
    any,
    backoff_intervals,  // "min0-max0,min1-max1,…" minutes, each min ≤ max (33906/40–42)
    radio_bands,        // "band0,band1,…" each of §7.5 Table 10's 0, 3, 8, 20 (33906/53)
    utc_offset,         // ISO 8601 offset "+HH:MM", "-HH:MM", "Z", optionally after "UTC" (3/0/14)
};

inline constexpr std::uint16_t kNoObject = 0xFFFF;  // a §7.5 setting only NFC reaches

// One row of the table. Integer ranges are [min, max] of the value; for strings and opaques they
// bound the length in bytes.
struct ResourceSpec {
    std::string_view key = "";                     // metercert's stable name ("readout_interval"); NFC addresses it
    std::uint16_t object = kNoObject;              // LwM2M object ID, or kNoObject
    std::uint16_t first_instance = 0;              // the object instances the row covers: first…last
    std::uint16_t last_instance = 0;
    std::uint16_t resource = 0;                    // LwM2M resource ID
    bool multiple = false;                         // multiple-instance resource (Table 1 prints x/y/z/0: instance 0 only)
    std::string_view printed = "";                 // the ID as the manual prints it ("0/1/4", "33906/./0", "11/[0,1]/1")
    std::string_view name = "";                    // the manual's name (Table 1/2; §7.5's for NFC-only settings)
    Lwm2mType type = Lwm2mType::integer;
    Operations ops = Operations::r;                // LwM2M (Table 1/2); Operations::none for NFC-only settings
    bool has_min = false;
    bool has_max = false;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::span<const Enumerator> enumeration{};     // allowed values when not empty
    StringFormat format = StringFormat::any;
    bool has_default = false;                      // the manual gives a factory value
    std::int64_t default_int = 0;                  // integer, time, boolean (0/1) defaults
    std::string_view default_str = "";             // string defaults
    std::string_view unit = "";                    // "min", "s", "mV", "%", …
    std::string_view source = "";                  // "Table 2; §7.5 Table 11 'Readout interval' 5-1440 60"
    std::string_view setting = "";                 // §7.5 parameter name ("" when §7.5 has no row)
    NfcAccess nfc_open = NfcAccess::not_applicable;    // "Locked device & correct PAK or open device"
    NfcAccess nfc_no_pak = NfcAccess::not_applicable;  // "No PAK"
    Action action = Action::none;                  // E rows and NFC actions
    bool secret = false;                           // keys: never read back, never in JSON
    std::string_view erratum = "";                 // "E-87" where a reading was chosen, else ""
    bool implementation_defined = false;           // cases checking this row's chosen reading are implementation-defined
};

// Every row of Tables 1, 2 and 8–12, in the manual's order (Table 1, Table 2, then NFC-only §7.5)
std::span<const ResourceSpec> object_table() noexcept;
// The row of a path (nullptr when none); of an NFC setting key
const ResourceSpec* find_resource(std::uint16_t object, std::uint16_t instance, std::uint16_t resource) noexcept;
const ResourceSpec* find_setting(std::string_view key) noexcept;
std::string_view type_name(Lwm2mType t) noexcept;        // "String", "Integer", … (TS 1.1 Appendix C)
std::string_view operations_name(Operations o) noexcept;  // "R", "RW", "R(W)", "(W)", "E", "W", "-"
// The table as JSON: an array of rows (no values; defaults of secrets do not exist)
std::string object_table_json();

// An LwM2M path /object/instance/resource[/resource instance]
struct Path {
    std::uint16_t object = 0;
    std::uint16_t instance = 0;
    std::uint16_t resource = 0;
    std::optional<std::uint16_t> resource_instance;
    friend bool operator==(const Path&, const Path&) = default;
};
// "/33906/0/1" or "33906/0/1" or "/3/0/6/0"; nullopt for anything else (object or instance paths,
// numbers above 65535, text)
std::optional<Path> parse_path(std::string_view text) noexcept;
std::string to_string(const Path& p);

struct ObjectLink {
    std::uint16_t object = 0;
    std::uint16_t instance = 0;
    friend bool operator==(const ObjectLink&, const ObjectLink&) = default;
};
using Bytes = std::vector<std::uint8_t>;
// A resource value: Integer/Time → int64 (Time: seconds since the Unix epoch), Boolean → bool,
// Float → double, String → string, Opaque → Bytes, Objlnk → ObjectLink
using Value = std::variant<std::int64_t, bool, double, std::string, Bytes, ObjectLink>;

// LwM2M response codes (see the header comment) and the NFC lock
enum class Outcome : std::uint8_t { content, changed, bad_request, not_found, method_not_allowed, locked };
std::string_view coap_code(Outcome o) noexcept;  // "2.05", "2.04", "4.00", "4.04", "4.05", "locked"

enum class Origin : std::uint8_t { bootstrap, dm };  // LwM2M Bootstrap-Server or DM server

struct ReadResult {
    Outcome outcome = Outcome::not_found;
    Value value;
};
struct ExecuteResult {
    Outcome outcome = Outcome::not_found;
    Action action = Action::none;
};

// What the module knows from production (Table 1: DevEUI, firmware and hardware versions) and its
// Product Access Key (§7.2). The PAK is never returned or logged.
struct FactoryData {
    std::string dev_eui = "0000000000000000";
    std::string firmware_version;
    std::string hardware_version;
    std::string pak;
};

class DeviceConfig {
public:
    explicit DeviceConfig(FactoryData factory = {});

    // LwM2M (the DM server or the Bootstrap-Server; a Read answers both alike, E-85)
    [[nodiscard]] ReadResult read(const Path& p, Origin origin = Origin::dm) const;
    Outcome write(const Path& p, const Value& v, Origin origin);
    ExecuteResult execute(const Path& p, Origin origin = Origin::dm);

    // NFC / OTC App (§7.5 "Device access"): the settings of Tables 8–12 by their row's key
    // (find_setting); `pak` is what the App presents. Values take the row's representation: a
    // setting an LwM2M resource holds takes that resource's value (Power saving mode eDRX+PSM = 3,
    // APN mode Auto = true), the others their enumeration (Open/Locked, Passive/Active = 0/1).
    // Outcomes: not_found (no such setting), method_not_allowed (not writable / readable for
    // anyone: Meter ID, Factory reset), locked (§7.2: locked module, no or wrong PAK),
    // bad_request (type, range), content / changed
    [[nodiscard]] ReadResult nfc_read(std::string_view key) const;
    Outcome nfc_write(std::string_view key, const Value& v, std::string_view pak = {});
    [[nodiscard]] bool locked() const;

    // The module itself updates a status resource (RSSI, uptime, current time …): checked as a
    // write is (type, range), no operation check; false when the path has no row, the value does
    // not fit, or the resource is executable or 33906/0/5 (which reads the lock)
    bool set_status(const Path& p, const Value& v);

    // §7.5 Table 8 Factory reset: every value back to its default; power mode Active (ERRATA E-88)
    void factory_reset();

    // §6.4: the staging profile (11/1) applied by 33906/0/15 is in use until the caller reports
    // the bootstrap result: success keeps it as the default (11/0), failure rolls back
    [[nodiscard]] bool apn_staged() const noexcept { return apn_staged_; }
    void apn_bootstrap_result(bool success);

    // Values by key (instance 0), for the mappings and tests
    [[nodiscard]] std::int64_t integer(std::string_view key) const;
    [[nodiscard]] std::string string(std::string_view key) const;

    // The values as JSON: {"/33906/0/0": 60, …, "nfc:power_mode": 0}; secrets left out
    [[nodiscard]] std::string to_json() const;

private:
    [[nodiscard]] const Value* find_value(const ResourceSpec* s, std::uint16_t instance) const;
    Value* find_value(const ResourceSpec* s, std::uint16_t instance);
    Outcome store(const ResourceSpec& s, std::uint16_t instance, const Value& v);
    void load_defaults();

    FactoryData factory_;
    std::map<std::pair<const ResourceSpec*, std::uint16_t>, Value> values_;
    bool apn_staged_ = false;
};

// A value checked against a row: Outcome::changed when it fits, else bad_request
Outcome check_value(const ResourceSpec& s, const Value& v);

// The §7.3 schedule and §7.3.4 backlog settings of the model: readout interval (33906/0/0),
// transmit interval, offset, delay (33906/0/18–20; Toffset in minutes, ERRATA E-60; the clamp of
// §7.3.3 is applied by effective_window()), UTC offset (§7.5 Table 8, minutes), message encoding
// (33906/0/1: 0 SenML/CBOR, 1 JSON, 2 M-Bus), message format (33906/0/2: 42 Standard, 43
// Extended), auto-upload order (33906/0/45: 0 FIFO, 1 LIFO), max age (33906/0/44, minutes), max
// uploads per transmission (33906/0/21); readouts per SenML pack Ttransmit / Treadout.
ScheduleConfig schedule_config(const DeviceConfig& c);
BacklogConfig backlog_config(const DeviceConfig& c);

}  // namespace metercert::devices::cmi6110
