// Reference model of the Elvaco CMe3100 metering gateway (Elvaco's CMe3100 User Manual):
// the installed meters, scheduled readouts into its database, the commission report and the
// Virtual M-Bus service. The database is a real SQLite file (Debian libsqlite3; ":memory:" for
// tests) — the device's own storage, like the CMi1020's EEPROM state; wire I/O stays outside
// (the readout job talks through a master::Master, Virtual M-Bus answers frames handed to it).
//
// Schema (stable; `sqlite3 FILE .schema` shows it):
//   meters(id, position, secondary TEXT 8 digits, baud, mode, primary_address, enhanced, passive,
//          manufacturer, version, medium)
//   readouts(id, meter_id, time (Unix s), ok, error, truncated, sent)
//   telegrams(readout_id, seq, frame BLOB, reply_gap_ms)
//   records(readout_id, telegram, idx, dif, vif, function, storage, tariff, subunit, quantity,
//           unit, value)  — one row per data record, decoded with the codec, value exact decimal
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metercert/devices/cme3100/key_file.hpp"
#include "metercert/devices/cme3100/meter_list.hpp"
#include "metercert/devices/cme3100/reporting.hpp"
#include "metercert/master/master.hpp"
#include "metercert/master/search.hpp"
#include "metercert/wmbus/telegram.hpp"

namespace metercert::devices::cme3100 {

// Deviations of the fault-injected gateway (faults.hpp); all false in the reference.
struct GatewayDeviations {
    bool wireless_any_key = false;          // decrypts every wireless meter with the key file's first key (§6.15 matching ignored)
    bool wireless_install_unlisted = false; // installs every wireless meter it hears (§6.5.2: only the Meter List's)
    bool wireless_not_served = false;       // stores a wireless readout's records but not the telegram Virtual M-Bus serves
};

struct GatewayConfig {
    std::size_t licence_limit = 500;              // meters read; more are installed passive (§6.5)
    std::chrono::seconds value_expiration{86400};  // Virtual M-Bus (§6.27.1)
    GatewayDeviations deviations{};               // a fault-injected gateway only
};

struct MeterReadResult {
    std::int64_t meter_id = 0;
    std::string position;
    bool ok = false;
    std::string error;        // MasterError/PortError name and text when not ok
    std::size_t telegrams = 0;
    std::size_t records = 0;
    bool truncated = false;   // more telegrams than the multi-telegram read limit
};

// What the gateway did with one telegram from a Wireless M-Bus Receiver (receive_wireless).
struct WirelessReceipt {
    enum class Outcome : std::uint8_t {
        stored,         // a readout of an installed esecondary meter, decrypted and stored
        failed,         // a readout of an installed esecondary meter stored as failed (error: no_key, …)
        not_installed,  // no active esecondary meter has the sender's identification: ignored
        discarded,      // the link layer is broken (CRC, L-field, truncated): no meter can be named
    };
    Outcome outcome = Outcome::discarded;
    std::int64_t meter_id = 0;   // stored / failed
    std::string position;        // stored / failed
    std::uint32_t id = 0;        // the sender's identification (8 BCD digits), when known
    std::size_t records = 0;     // stored
    std::string error;           // failed / discarded: "name: text" of the wM-Bus decoder (no key bytes)
};
std::string_view wireless_outcome_name(WirelessReceipt::Outcome o) noexcept;  // "stored", "failed", …

class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Gateway {
public:
    // Opens (creating if needed) the database at `path`. Throws DatabaseError.
    explicit Gateway(const std::string& path, GatewayConfig config = {});
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // §6.5: install a Meter List (replaces the installed meters); rows with errors are reported
    // and skipped. Meters past the licence limit are passive.
    MeterListImport install_meter_list(const std::string& csv);
    // §6.5.3: install what a search found (secondary addressing, position = the ID).
    std::size_t install_found(const std::vector<master::FoundSlave>& found, unsigned baud = 2400);
    [[nodiscard]] std::vector<MeterListEntry> meters() const;
    [[nodiscard]] std::string export_meter_list() const { return cme3100::export_meter_list(meters()); }

    // A scheduled readout (§6.25, §6.39): every active wired meter (primary or secondary
    // addressing; esecondary meters come through receive_wireless), through `m` (its read limit
    // and retries apply); each result is stored as it comes.
    std::vector<MeterReadResult> read_all(master::Master& m, std::chrono::sys_seconds now);

    // §6.15: the encryption keys the gateway decrypts wireless meters with (an imported key file;
    // replaces the keys held before). Kept in memory, never in the database or a message.
    void install_keys(std::vector<KeyEntry> keys);

    // §6.5.2 / §6.15: one telegram a Wireless M-Bus Receiver delivered (`crc`: as the receiver
    // gives it; automatic detects A, B or none), received at `now`. The sender is the meter the
    // telegram names (the long transport header's identity, else the link layer's: the meter
    // behind a radio adapter); the active meter installed with addressing mode esecondary under
    // that identification gets a readout. Decrypted with the key file's key for it (match_key:
    // its address, manufacturer, device type and version), the records are stored like a wired
    // readout's, and its telegram is kept as the RSP_UD Virtual M-Bus serves (CI 0x72, the
    // meter's long header, the decrypted data: ERRATA E-93). A telegram that cannot be decrypted
    // or decoded is stored as a failed readout with the decoder's error (no_key,
    // decryption_check_failed, mac_mismatch, …). Throws DatabaseError only.
    WirelessReceipt receive_wireless(std::span<const std::uint8_t> frame, wmbus::CrcFormat crc, std::chrono::sys_seconds now);

    // Commission report (§6.5: "download a Commission Report after the installation"): CSV with
    // Position, SecondaryAddress, AddressingMode, PrimaryAddress, Passive, Manufacturer, Version,
    // Medium, Status (Table 8 code), LastReadout (UTC ISO 8601), Telegrams, Records, Error.
    [[nodiscard]] std::string commission_report() const;
    // Table 8 over the last readout of every active meter (and the given report results).
    [[nodiscard]] Status status(const std::vector<bool>& reports_ok = {}) const;

    // Readouts of a meter (oldest first) for Value Period selection; mark_sent after delivery.
    [[nodiscard]] std::vector<StoredReadout> readouts(std::int64_t meter_id) const;
    [[nodiscard]] std::size_t record_count() const;

    // Virtual M-Bus (§6.27): the installed meters answer as M-Bus slaves from the database.
    // SND_NKE / REQ_UD2 (FCB multi-telegram over the stored telegrams of the last good readout)
    // / selection by secondary address (CI 0x52, wildcards) / SND_NKE to 253. A value older than
    // the expiration is "not valid": the header alone, status bit 4 (temporary error), no records
    // (ERRATA E-27). A meter never read successfully stays silent. Returns the reply, nullopt
    // for silence.
    std::optional<std::vector<std::uint8_t>> virtual_mbus(std::span<const std::uint8_t> frame,
                                                          std::chrono::sys_seconds now);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    GatewayConfig config_;
};

}  // namespace metercert::devices::cme3100
