#include "state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace metercert::cli {

namespace {
[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
    throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(errno));
}
}  // namespace

std::optional<std::string> StateFile::load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return std::nullopt;
    std::string s{std::istreambuf_iterator<char>(in), {}};
    last_ = s;
    return s;
}

void StateFile::save_if_changed(const std::string& content) {
    if (content == last_) return;
    const auto dir = path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path();
    std::filesystem::create_directories(dir);
    std::string name = path_.filename().string();
    name.insert(name.begin(), '.');
    name.append(".tmp");
    const auto tmp = dir / name;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);  // holds P1/P2: owner only
    if (fd < 0) fail("cannot create", tmp);
    std::size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            fail("cannot write", tmp);
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) fail("cannot flush", tmp);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("cannot replace", path_);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    last_ = content;
}

}  // namespace metercert::cli
