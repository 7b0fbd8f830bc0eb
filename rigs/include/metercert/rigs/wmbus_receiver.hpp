// wmbus.receive: a source of received wireless M-Bus telegrams with their receive times (and the
// RSSI where the receiver gives it). Offered by the receiver-stick links (wmbus+im871a://,
// wmbus+amb8465://), by captures (wmbus+hex:FILE) and by the built-in simulator (sim:cmi1020w).
// Every received telegram is also tapped (LinkKind::wmbus, direction from_dut) before receive()
// returns it: the evidence and the pcap (link type 148) hold what the cases saw.
//
// Times: `at` is the link's own clock (PowerOnClock on real sticks: real time since the link
// opened; the simulated clock on sim:cmi1020w, which advances only while a caller waits in
// receive()). A capture without times gives none (`at` unset).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metercert/time.hpp"
#include "metercert/wmbus/telegram.hpp"

namespace metercert::rigs {

struct ReceivedTelegram {
    // The telegram from its L-field, as the receiver delivered it: with the data link layer's
    // CRCs when `crc` is a or b, without them (CrcFormat::none) when the receiver checked and
    // stripped them (iM871A, AMB8465 in their default modes).
    std::vector<std::uint8_t> frame;
    wmbus::CrcFormat crc = wmbus::CrcFormat::none;
    std::optional<TimePoint> at;        // receive time on the link's clock (above)
    std::optional<int> rssi_dbm;        // where the receiver reports it
    std::string mode;                   // "T1", "C1", … where known; "" otherwise
};

class WmbusReceiver {
public:
    virtual ~WmbusReceiver() = default;
    // The next telegram received within `timeout` (on the link's clock), or nullopt when none
    // came. Throws master::PortError when the receiver fails (port closed, stick not answering,
    // a malformed receiver frame: the receiver's own protocol error with its byte offset).
    virtual std::optional<ReceivedTelegram> receive(Duration timeout) = 0;
    // The link's clock now (see above).
    [[nodiscard]] virtual TimePoint now() = 0;
};

}  // namespace metercert::rigs
