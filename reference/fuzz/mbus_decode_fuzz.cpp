// libFuzzer target (run by ci/fuzz): any bytes → decode must not crash or misbehave under
// ASan/UBSan; a frame that decodes must re-encode byte for byte, through the typed model and
// through the canonical JSON; the frame reader must account for every byte it is fed.
#include <cstdint>
#include <cstdlib>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::mbus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    Telegram t;
    DecodeError err;
    if (decode(in, t, err)) {
        if (encode(t) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
        if (from_json(to_json(t)) != std::vector<std::uint8_t>(in.begin(), in.end())) std::abort();
    } else if (err.offset > size) {
        std::abort();
    }
    // Long frame around arbitrary user data, so the fuzzer reaches the application layer fast.
    if (size <= 252) {
        const auto f = build_long(0x08, 1, size ? data[0] : 0x72, in);
        if (decode(f, t, err) && (encode(t) != f || from_json(to_json(t)) != f)) std::abort();
    }
    FrameReader r;
    std::size_t seen = 0;
    for (const auto& e : r.feed(in)) seen += e.length;
    for (const auto& e : r.finish()) seen += e.length;
    if (seen != size) std::abort();
    return 0;
}
