// Writing a file so that a reader, a crash or an interrupt never sees half of it.
#include "ref/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

namespace attncheck {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  auto fail = [&](const std::string& reason) { throw InputError(path + ": cannot write: " + reason); };
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
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_removing(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
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
