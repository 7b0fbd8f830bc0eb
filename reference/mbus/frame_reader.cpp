#include "metercert/mbus/frame_reader.hpp"

namespace metercert::mbus {

namespace {
bool is_start(std::uint8_t b) noexcept { return b == kAck || b == kShortStart || b == kLongStart; }
}  // namespace

std::vector<StreamEvent> FrameReader::feed(std::span<const std::uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    std::vector<StreamEvent> out;
    drain(out, false);
    return out;
}

std::vector<StreamEvent> FrameReader::finish() {
    std::vector<StreamEvent> out;
    drain(out, true);
    return out;
}

void FrameReader::reset() {
    base_ += buf_.size();
    buf_.clear();
}

void FrameReader::drain(std::vector<StreamEvent>& out, bool at_end) {
    constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t pos = 0;
    std::size_t run = npos;  // start of a pending garbage/garbled run
    StreamEvent::Kind run_kind = StreamEvent::Kind::garbage;
    DecodeError run_err{};

    auto close_run = [&](std::size_t end) {
        if (run == npos) return;
        StreamEvent e;
        e.kind = run_kind;
        e.offset = base_ + run;
        e.length = end - run;
        e.bytes.assign(buf_.begin() + static_cast<std::ptrdiff_t>(run), buf_.begin() + static_cast<std::ptrdiff_t>(end));
        e.error = run_err;
        out.push_back(std::move(e));
        run = npos;
    };

    while (pos < buf_.size()) {
        if (!is_start(buf_[pos])) {
            if (run == npos) {
                run = pos;
                run_kind = StreamEvent::Kind::garbage;
                run_err = {};
            }
            ++pos;
            continue;
        }
        LinkFrame f;
        DecodeError err;
        const std::span<const std::uint8_t> rest(buf_.data() + pos, buf_.size() - pos);
        if (parse_link_prefix(rest, f, err)) {
            close_run(pos);
            StreamEvent e;
            e.kind = StreamEvent::Kind::frame;
            e.offset = base_ + pos;
            e.length = f.size;
            e.bytes.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(f.size));
            out.push_back(std::move(e));
            pos += f.size;
            continue;
        }
        if (err.code == ErrorCode::truncated_frame && !at_end) break;  // wait for more bytes
        // A start character that forms no valid frame: a garbled or colliding answer. The run
        // extends over what follows until the next valid frame.
        if (run == npos || run_kind != StreamEvent::Kind::garbled) {
            close_run(pos);
            run = pos;
            run_kind = StreamEvent::Kind::garbled;
            run_err = err;
            run_err.offset += base_ + pos;
        }
        ++pos;
    }
    if (at_end) pos = buf_.size();
    close_run(pos);
    base_ += pos;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
}

}  // namespace metercert::mbus
