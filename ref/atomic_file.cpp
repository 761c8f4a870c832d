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

void write_file_atomic(const std::string& path_given, const std::string& bytes) {
  if (path_given == "-") {
    throw_if_interrupted();
    return write_in_place("stdout", STDOUT_FILENO, bytes, false);
  }
  // stat follows links: /dev/stdout, a FIFO or a device (or a link to one) is written as it is.
  struct stat st;
  if (::stat(path_given.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    throw_if_interrupted();
    const int fd = ::open(path_given.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path_given + ": cannot write: " + std::strerror(errno));
    return write_in_place(path_given, fd, bytes, true);
  }
  // A symlink (to a file, or dangling) keeps pointing where it did: its target is what gets replaced.
  std::string path = path_given;
  std::error_code ec;
  for (int hops = 0; std::filesystem::is_symlink(path, ec); ++hops) {
    if (hops > 40) throw InputError(path_given + ": cannot write: too many levels of symbolic links");
    std::filesystem::path target = std::filesystem::read_symlink(path, ec);
    if (ec) throw InputError(path_given + ": cannot write: " + ec.message());
    if (target.is_relative()) target = std::filesystem::path(path).parent_path() / target;
    path = target.string();
  }
  auto fail = [&](const std::string& reason) { throw InputError(path_given + ": cannot write: " + reason); };
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") fail("not a file name");

  // Same directory, so the rename stays within one file system and is atomic; pid + counter keep
  // concurrent writers (threads or processes) off each other's temp files.
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = dir + "." + name + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
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
  // An interrupted run publishes nothing: the last moment to back out is before the rename.
  if (interrupted()) {
    ::unlink(tmp.c_str());
    throw_if_interrupted();
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail_removing(errno);
}

}  // namespace attncheck
