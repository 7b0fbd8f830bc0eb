// A state file written atomically: the new content goes to a temporary file in the same
// directory, is flushed to disk, and replaces the old one by rename(2); the directory is then
// synced. A kill at any moment leaves the old or the new state, never a torn one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace metercert::cli {

class StateFile {
public:
    explicit StateFile(std::filesystem::path path) : path_(std::move(path)) {}
    // Reads the file (nullopt when there is none) and remembers it as the saved content.
    [[nodiscard]] std::optional<std::string> load();
    // Writes when `content` differs from what was last loaded or saved. Throws on I/O errors.
    void save_if_changed(const std::string& content);
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    std::string last_;
};

}  // namespace metercert::cli
