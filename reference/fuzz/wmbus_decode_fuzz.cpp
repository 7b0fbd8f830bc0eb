// libFuzzer target: the wireless M-Bus decoder (ci/fuzz wmbus_decode_fuzz). Properties, on any
// input read in every CRC format, with a key for every meter and without: decode never crashes
// or reads out of bounds (ASan/UBSan); an accepted telegram's JSON is produced and contains no
// key byte; and encode(decode(b), key) == b.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "metercert/wmbus/encode.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

using namespace metercert::wmbus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Key key = *Key::from_hex("000102030405060708090A0B0C0D0E0F");
    static const KeyLookup keys = single_key(key);
    const std::span<const std::uint8_t> in(data, size);
    Telegram t;
    DecodeError err;
    for (CrcFormat f : {CrcFormat::automatic, CrcFormat::a, CrcFormat::b, CrcFormat::none})
        for (const KeyLookup* k : {&keys, static_cast<const KeyLookup*>(nullptr)}) {
            if (!decode(in, t, err, {.crc = f, .keys = k})) continue;
            const std::string j = to_json(t);
            if (j.find("000102030405060708090A0B0C0D0E0F") != std::string::npos) std::abort();
            if (encode(t, k) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
        }
    return 0;
}
