// Writing a file so that a reader, a crash or an interrupt never sees half of it.
#include "ref/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

namespace attncheck {

namespace {

// Writes all of `bytes` to an open descriptor; errno on failure, 0 on success.
int write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

// Writes into an existing file in place (stdout, a FIFO, a device): there is nothing to rename over.
void write_in_place(const std::string& path, int fd, const std::string& bytes, bool close_after) {
  const int err = write_all(fd, bytes);
  const int rc = close_after ? ::close(fd) : 0;
  if (err != 0) throw InputError(path + ": cannot write: " + std::strerror(err));
  if (rc != 0) throw InputError(path + ": cannot write: " + std::strerror(errno));
}

}  // namespace

void append_file(const std::string& path, const std::string& bytes) {
  throw_if_interrupted();
  if (path == "-") return write_in_place("stdout", STDOUT_FILENO, bytes, false);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw InputError(path + ": cannot append: " + std::strerror(errno));
  write_in_place(path, fd, bytes, true);
}

namespace {

void write_in_place_now(const std::string& path, const std::string& bytes) {
  if (path == "-") return write_in_place("stdout", STDOUT_FILENO, bytes, false);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot write: " + std::strerror(errno));
  write_in_place(path, fd, bytes, true);
}

}  // namespace

// "-", or an existing FIFO, device or /dev/stdout (stat follows links): written as it is.
bool written_in_place(const std::string& path) {
  if (path == "-") return true;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

// A symlink (to a file, or dangling) keeps pointing where it did: its target is what gets replaced.
std::string resolve_write_target(const std::string& path_given) {
  std::string path = path_given;
  std::error_code ec;
  for (int hops = 0; std::filesystem::is_symlink(path, ec); ++hops) {
    if (hops > 40) throw InputError(path_given + ": cannot write: too many levels of symbolic links");
    std::filesystem::path target = std::filesystem::read_symlink(path, ec);
    if (ec) throw InputError(path_given + ": cannot write: " + ec.message());
    if (target.is_relative()) target = std::filesystem::path(path).parent_path() / target;
    path = target.string();
  }
  return path;
}

namespace {

std::atomic<unsigned> g_counter{0};

// Same directory as `path`, so a rename stays within one file system and is atomic; pid + counter
// keep concurrent writers (threads or processes) off each other's names.
std::string sibling_name(const std::string& path, const char* kind) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + kind + std::to_string(getpid()) + "." + std::to_string(g_counter++);
}

}  // namespace

FileTransaction::~FileTransaction() {
  for (const Staged& f : staged_)
    if (!f.tmp.empty()) ::unlink(f.tmp.c_str());
  if (!committed_)
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) ::rmdir(it->c_str());
}

void FileTransaction::stage(const std::string& path_given, const std::string& bytes) {
  if (written_in_place(path_given)) {
    staged_.push_back({path_given, path_given, "", bytes, true, false});
    return;
  }
  const std::string path = resolve_write_target(path_given);
  auto fail = [&](const std::string& reason) { throw InputError(path_given + ": cannot write: " + reason); };
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") fail("not a file name");
  // A missing parent directory is created (each missing component, recorded so that an output set
  // that is never committed leaves no new directory behind).
  if (slash != std::string::npos && slash > 0) {
    const std::filesystem::path parent = path.substr(0, slash);
    std::vector<std::string> missing;
    std::error_code ec;
    for (std::filesystem::path p = parent; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
      missing.push_back(p.string());
      if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0777) != 0 && errno != EEXIST) fail("cannot create directory " + *it + ": " + std::strerror(errno));
      created_dirs_.push_back(*it);
    }
  }
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = sibling_name(path, ".tmp.");
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 100)) fail(std::strerror(errno));
  }
  auto fail_removing = [&](int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    fail(std::strerror(err));
  };
  if (const int err = write_all(fd, bytes)) fail_removing(err);
  // close() is where NFS and full disks report deferred write errors.
  const int rc = ::close(fd);
  fd = -1;
  if (rc != 0) fail_removing(errno);
  staged_.push_back({path_given, path, tmp, "", false, false});
}

void FileTransaction::stage_append(const std::string& path, const std::string& bytes) {
  staged_.push_back({path, path, "", bytes, true, true});
}

void FileTransaction::commit() {
  // An interrupted command publishes nothing: the last moment to back out is before the renames.
  throw_if_interrupted();
  struct Done {
    std::string target, backup;  // backup empty: the target did not exist before
  };
  std::vector<Done> done;
  auto roll_back = [&] {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (it->backup.empty()) {
        ::unlink(it->target.c_str());
      } else {
        std::rename(it->backup.c_str(), it->target.c_str());
      }
    }
  };
  for (Staged& f : staged_) {
    if (f.in_place) continue;
    Done d{f.target, ""};
    struct stat st;
    if (staged_.size() > 1 && ::lstat(f.target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      // A hard link keeps the old contents reachable without a moment where the name is missing.
      d.backup = sibling_name(f.target, ".old.");
      if (::link(f.target.c_str(), d.backup.c_str()) != 0) {
        const int err = errno;
        roll_back();
        throw InputError(f.given + ": cannot write: cannot keep the previous file while replacing the set: " +
                         std::strerror(err));
      }
    }
    if (std::rename(f.tmp.c_str(), f.target.c_str()) != 0) {
      const int err = errno;
      if (!d.backup.empty()) ::unlink(d.backup.c_str());
      roll_back();
      throw InputError(f.given + ": cannot write: " + std::strerror(err));
    }
    f.tmp.clear();
    done.push_back(d);
  }
  for (const Done& d : done)
    if (!d.backup.empty()) ::unlink(d.backup.c_str());
  committed_ = true;
  std::vector<Staged> in_place;
  in_place.swap(staged_);
  for (const Staged& f : in_place) {
    if (!f.in_place) continue;
    if (f.append) {
      append_file(f.given, f.bytes);
    } else {
      write_in_place_now(f.given, f.bytes);
    }
  }
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  FileTransaction t;
  t.stage(path, bytes);
  t.commit();
}

}  // namespace attncheck
