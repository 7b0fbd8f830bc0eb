// The CMi6110's readout storage and what each transmission uploads (CMi6110 manual §7.3.4 "Data
// retransmission", §7.4.2.3 "Message Size Restrictions", §7.5 Auto-upload settings, §8: 8000
// readouts). Pure logic: the caller stores each readout with its UTC timestamp, asks at a
// transmission for the telegrams to send (plan), and marks them sent when the network took them.
// What was not marked stays unsent and is resent at later transmissions:
//
//   * eligible: unsent readouts not older than the maximum age at the transmission (age = now −
//     timestamp ≤ max age); older unsent readouts are dropped, never sent (ERRATA E-62);
//   * order: FIFO takes the oldest eligible readouts first, LIFO the newest (§7.5 default LiFo);
//     inside a telegram readouts are in time order (a SenML pack's t offsets are ≥ 0; E-63);
//   * a telegram holds one readout (M-Bus, JSON: §7.4.2.1/2 hold one readout) or, SenML, up to
//     `readouts_per_telegram` (Ttransmit / Treadout, §7.4.2.3; the "device max payload size" of
//     §7.3.4 example 2 when set: E-62) and, when `max_payload_bytes` is set, as many as fit in it —
//     a pack too big is split into several packs, each full and self-described (encode_senml:
//     meter ID and base time in each); one readout that alone exceeds the limit is sent alone;
//   * at most `max_uploads` telegrams per transmission (§7.5 "max packages / transmissions");
//   * storage holds `capacity` readouts (§8: 8000); storing one more drops the oldest, sent or not.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "metercert/devices/cmi6110/readout.hpp"
#include "metercert/time.hpp"

namespace metercert::devices::cmi6110 {

enum class UploadOrder : std::uint8_t { fifo, lifo };           // §7.5 Oldest first / Latest first
enum class MessageEncoding : std::uint8_t { mbus, json, senml };  // §7.5 Message encoding

inline constexpr std::size_t kStorageCapacity = 8000;  // §8 Meter data storage
// "Auto-upload max. age 1.. 10080" is a minimum and the default, no maximum (ERRATA E-87): a year
// of minutes bounds what a configuration may say (8000 hourly readouts are under a year).
inline constexpr int kMaxAgeLimit = 525600;

struct BacklogConfig {
    MessageEncoding encoding = MessageEncoding::senml;  // §7.5 default SenML/CBOR
    MessageFormat format = MessageFormat::standard;     // §7.5 default Standard
    UploadOrder order = UploadOrder::lifo;              // §7.5 default Latest first
    std::chrono::minutes max_age{10080};                // §7.5 1–10080
    unsigned max_uploads = 4;                           // §7.5 1–4
    std::size_t readouts_per_telegram = 1;              // SenML only; see above
    std::size_t max_payload_bytes = 0;                  // 0: no byte limit
    std::size_t capacity = kStorageCapacity;
};

// Readouts per SenML pack from the intervals (§7.4.2.3: 120 and 1440 minutes give 12); at least 1
std::size_t readouts_per_pack(std::chrono::minutes readout_interval, std::chrono::minutes transmit_interval) noexcept;

struct StoredReadout {
    UtcTime timestamp{};      // UTC (meter time − UTC offset, §7.3.1)
    Readout readout;
    std::uint64_t sequence = 0;  // storage order, for mark_sent
};

struct Telegram {
    std::vector<StoredReadout> readouts;  // in time order
    std::vector<std::uint8_t> payload;    // M-Bus DIBs, JSON text bytes or the SenML pack
};

// A readout as its encoding writes it, and a SenML pack of readouts (8-digit meter ID as base name)
std::vector<std::uint8_t> encode_payload(const std::vector<StoredReadout>& readouts, MessageEncoding enc, MessageFormat f);

class Backlog {
public:
    explicit Backlog(BacklogConfig config);

    [[nodiscard]] const BacklogConfig& config() const noexcept { return config_; }
    void store(UtcTime timestamp, Readout r);
    [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
    [[nodiscard]] std::size_t unsent() const noexcept;
    [[nodiscard]] std::size_t dropped_unsent() const noexcept { return dropped_unsent_; }

    // The telegrams of a transmission at `now` (drops the unsent readouts older than max age)
    std::vector<Telegram> plan(UtcTime now);
    // The network took these telegrams: their readouts are sent
    void mark_sent(const std::vector<Telegram>& sent);

private:
    struct Item {
        StoredReadout stored;
        bool sent = false;
    };
    BacklogConfig config_;
    std::deque<Item> items_;  // in storage order (oldest first)
    std::uint64_t next_sequence_ = 0;
    std::size_t dropped_unsent_ = 0;
};

}  // namespace metercert::devices::cmi6110
