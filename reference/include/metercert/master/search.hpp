// Finding the slaves on a bus: primary scan and secondary address search (EN 13757-2/-3).
//
// Secondary search probes selection masks (SND_UD to 253, CI 0x52, nibble F = any). A probe ends
// as empty (no ACK: the probe costs one whole response timeout), single (ACK, then a REQ_UD2 to
// 253 returns one valid RSP_UD whose header matches the mask) or collision (garbled ACK or
// RSP_UD: two or more slaves). A collision is split on one more position: the 8 ID digits over
// 0–9, then the hex positions (manufacturer, version, medium) over 0–F. In a hex position the
// nibble F is the wildcard itself: 0–E are probed literally and F is taken as "the rest" when none
// of 0–E answered; slaves that share the whole ID and differ only by a literal F against 0–E in
// one hex nibble cannot be told apart with nibble masks and are reported in `problems`. Slaves
// that accept only whole-byte wildcards in those fields (the CMi1020, §6.7.7) never answer a
// partial hex mask: slaves with identical IDs on such a bus end as a reported problem.
//
// Two algorithms, both complete (every slave that answers its selection is found):
//  - baseline: the textbook depth-first search from the most significant ID digit (libmbus's
//    order), kept as the yardstick;
//  - adaptive: the same search until a split of one of the top two ID digits shows that every
//    slave below shares the digit (a site's common prefix, as consecutive serial numbers have); that subtree is
//    then searched suffix-first (the last three ID digits, most significant first, then the rest),
//    where the digits really vary, so whole empty branches of the prefix cost nothing. It also
//    skips the probe of a last sibling whose outcome is implied (parent collided, every other
//    sibling empty). Counts are in MasterCounters; ci/bench and the unit tests compare both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metercert/master/master.hpp"

namespace metercert::master {

enum class SearchAlgorithm : std::uint8_t { baseline, adaptive };
std::string_view search_algorithm_name(SearchAlgorithm a) noexcept;  // "baseline", "adaptive"

struct FoundSlave {
    mbus::SecondaryAddress address;
    std::uint8_t primary = 0;           // the A-field of its RSP_UD
    std::vector<std::uint8_t> frame;    // the RSP_UD that identified it
};

struct SearchResult {
    std::vector<FoundSlave> found;      // sorted by secondary address
    std::vector<std::string> problems;  // e.g. a slave that ACKs its selection but never answers REQ_UD2
    MasterCounters cost;                // telegrams, timeouts, collisions, bus time of this search
    std::uint64_t probes = 0;           // selections sent
};

// Secondary search below `start` (default: everything). Throws MasterError/PortError only for
// transport failures; bus behaviour (timeouts, collisions) is what the search works with.
SearchResult search_secondary(Master& master, SearchAlgorithm algorithm, const mbus::SecondaryMask& start = {});

struct PrimaryScanResult {
    std::vector<FoundSlave> found;      // slaves that ACKed SND_NKE and answered REQ_UD2
    std::vector<std::string> problems;  // collisions (two slaves on one address), bad replies
    MasterCounters cost;
};
// SND_NKE then REQ_UD2 on each address first..last (0–250): present slaves are read once.
PrimaryScanResult scan_primary(Master& master, std::uint8_t first = 0, std::uint8_t last = 250);

}  // namespace metercert::master
