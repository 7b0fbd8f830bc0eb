// Helpers of the CoAP tests: libcoap's own tools as child processes, free loopback ports, files.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace coap_test {

inline std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("metercert-coap-" + std::to_string(::getpid()) + "-" + name)).string();
}

inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// A free UDP port on loopback; with `pair`, one whose successor is free too (coap-server-openssl
// listens on port and port+1).
inline std::uint16_t free_udp_port(bool pair = false) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        const std::uint16_t p = ntohs(a.sin_port);
        if (!pair) {
            ::close(fd);
            return p;
        }
        int fd2 = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in b = a;
        b.sin_port = htons(static_cast<std::uint16_t>(p + 1));
        const bool ok = p < 65535 && ::bind(fd2, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0;
        ::close(fd2);
        ::close(fd);
        if (ok) return p;
    }
    return 0;
}

// A child process (argv, no shell) with stdout+stderr to a file; killed (SIGKILL) if still running
// at destruction.
class Child {
public:
    explicit Child(const std::vector<std::string>& argv, const std::string& name)
        : out_(temp_path(name + ".out")) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Child() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::filesystem::remove(out_);
    }
    bool started() const { return pid_ > 0; }
    bool exited() {
        if (pid_ <= 0) return true;
        if (!exited_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
        return exited_;
    }
    int exit_code() { return exited() && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
    void terminate() {
        if (pid_ > 0 && !exited()) {
            ::kill(pid_, SIGTERM);
            for (int i = 0; i < 100 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    std::string output() const { return read_file(out_); }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
    std::string out_;
};

}  // namespace coap_test
