// CMe3100 Push Report bookkeeping: Value Period (§6.32.2) and the aggregated status of meter
// readouts and Push Reports (§6.31, Table 8; the per-meter and per-report status lists). Pure logic.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace metercert::devices::cme3100 {

struct StoredReadout {
    std::chrono::sys_seconds time{};
    bool sent = false;  // delivered by a successful Push Report
};

// §6.32.2: "Auto" delivers every unsent readout, at most the 180 most recent ones; a fixed period
// takes the unsent readouts of exactly that long back from `now`, older ones are left out.
struct ValuePeriod {
    std::optional<std::chrono::seconds> fixed;  // nullopt = Auto
    static constexpr std::size_t kAutoLimit = 180;
};
// Indices into `readouts` (any order) to include in the next Push Report, oldest first.
std::vector<std::size_t> values_to_send(const std::vector<StoredReadout>& readouts, std::chrono::sys_seconds now,
                                        const ValuePeriod& period);

// Table 8 and the SNMP status lists: 1 OK, 2 WARNING, 3 ERROR.
enum class Status : std::uint8_t { ok = 1, warning = 2, error = 3 };
std::string_view status_name(Status s) noexcept;  // "OK", "WARNING", "ERROR"

// The last result of one meter: read, failed, or neither (never read / could not be decrypted:
// the Meter Status List's code 2).
enum class MeterResult : std::uint8_t { read, failed, unknown };
Status meter_status(MeterResult r) noexcept;

// Table 8: OK when the last readout and the last round of Push Reports both succeeded for every
// meter/report; ERROR when the readout failed for all meters or the round failed for all reports;
// WARNING otherwise (some failed). A meter never read counts as not read (a failure) — ERRATA E-26.
// No meters and no reports: OK.
Status aggregated_status(const std::vector<MeterResult>& meters, const std::vector<bool>& reports_ok);

}  // namespace metercert::devices::cme3100
