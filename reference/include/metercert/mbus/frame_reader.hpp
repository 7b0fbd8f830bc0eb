// Frame reader over a byte stream (EN 13757-2 §5): synchronises on start characters, skips
// garbage and reports a garbled or colliding answer — bytes that begin like a frame but form no
// valid one — with the byte offset where it started and the reason.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "metercert/mbus/error.hpp"
#include "metercert/mbus/link.hpp"

namespace metercert::mbus {

struct StreamEvent {
    enum class Kind : std::uint8_t {
        frame,    // a valid frame: bytes [offset, offset+length)
        garbage,  // bytes that start no frame (not 0xE5/0x10/0x68), skipped
        garbled,  // a start character whose frame is invalid (collision, noise): `error` says why
    };
    Kind kind = Kind::frame;
    std::size_t offset = 0;  // stream offset (bytes since the reader was created or reset)
    std::size_t length = 0;
    std::vector<std::uint8_t> bytes;  // the frame's (or skipped) bytes
    DecodeError error{};              // for garbled: the link-layer error, offset within stream
};

class FrameReader {
public:
    // Appends bytes and returns every event they complete, in stream order.
    std::vector<StreamEvent> feed(std::span<const std::uint8_t> bytes);
    // End of stream (or end of a reply window): whatever is buffered is reported as garbled
    // (truncated_frame) or garbage, and the buffer is emptied.
    std::vector<StreamEvent> finish();
    void reset();
    [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size(); }

private:
    void drain(std::vector<StreamEvent>& out, bool at_end);
    std::vector<std::uint8_t> buf_;
    std::size_t base_ = 0;  // stream offset of buf_[0]
};

}  // namespace metercert::mbus
