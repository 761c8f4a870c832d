// One DMA channel of an npu1 tile (compute, memory or shim): its start queue, the buffer-descriptor chain it walks, the n-D address pattern, the locks it takes, and the words it moves.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "sim/array/regs.hpp"

namespace attncheck::aie2::array {

// The word offsets, relative to the BD's base address, that one use of a BD visits, in order.
// The hardware's address generator (AM020, "AIE-ML DMA": dimensions d0..d2 (d3 in memory tiles)
// with wrap and step, plus the iteration dimension that moves the base between uses of the BD):
// word k of the transfer sits at sum_i index_i(k) * step_i, index_0 running fastest and each
// index wrapping at its dimension's wrap. A BD with no wraps set is a linear transfer.
class AddressPattern {
 public:
  AddressPattern() = default;
  AddressPattern(const BufferDescriptor& bd, uint32_t iteration);
  // The next word's offset in 32-bit words from the BD's base address; call `words()` times.
  int64_t next() {
    const int64_t off = offset_;
    // Advance: the fastest index first; a dimension wraps at its wrap and carries into the next.
    for (size_t i = 0; i < dims_.size(); ++i) {
      ++index_[i];
      offset_ += dims_[i].step;
      const bool last = i + 1 == dims_.size();
      if (last || dims_[i].wrap == 0 || index_[i] < dims_[i].wrap) break;
      offset_ -= static_cast<int64_t>(index_[i]) * dims_[i].step;
      index_[i] = 0;
    }
    ++done_;
    return off;
  }
  uint32_t words() const { return length_; }
  uint32_t done() const { return done_; }
  // The words from here that d0 visits before it wraps (or before the transfer ends), each
  // `stride_words()` after the last: a run `take` can hand out at once.
  uint32_t run_length() const {
    const uint32_t left = length_ - done_;
    if (dims_.size() == 1 || dims_[0].wrap == 0) return left;
    return std::min(left, dims_[0].wrap - index_[0]);
  }
  int64_t stride_words() const { return dims_[0].step; }
  // The offset of the first of the next `n` words (1 <= n <= run_length()), advancing past all of
  // them: the same as `n` calls of next(), the last of which carries into the outer dimensions.
  int64_t take(uint32_t n) {
    const int64_t first = offset_;
    index_[0] += n - 1;
    offset_ += static_cast<int64_t>(n - 1) * dims_[0].step;
    done_ += n - 1;
    next();
    return first;
  }
  // Advances past the next `n` words (n <= words() - done()), as `n` calls of next() do.
  void skip(uint64_t n) {
    while (n) {
      const uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(n, run_length()));
      take(k);
      n -= k;
    }
  }

 private:
  std::vector<BufferDescriptor::Dim> dims_;
  std::vector<uint32_t> index_;
  int64_t base_ = 0;  // the iteration dimension's offset, in words
  int64_t offset_ = 0;  // base_ + sum_i index_[i] * step_i, kept as the indices move
  uint32_t length_ = 0, done_ = 0;
};

// Words of one channel at a constant host stride: `count` words from `at`, each `stride` bytes
// after the last (the DMA fast path's view of one run of an AddressPattern).
struct WordRun {
  uint8_t* at = nullptr;
  uint32_t count = 0;
  int64_t stride = 4;
};

// Where a channel stands.
enum class ChannelState {
  Idle,        // no task: waits for a start-queue entry
  Acquire,     // a BD is loaded and its lock acquire has not succeeded yet
  Move,        // moving the BD's words
  Release,     // the BD's words are moved; its lock release is due
};

struct StreamRoute;

struct DmaChannel {
  int col = 0, row = 0;
  TileKind kind = TileKind::Compute;
  bool s2mm = true;  // stream to memory (into the tile); else memory to stream
  int channel = 0;

  std::deque<QueueEntry> queue;  // tasks pushed into the start queue, not started yet
  ChannelState state = ChannelState::Idle;
  QueueEntry task;               // the running task
  int repeats_left = 0;          // further runs of the task's BD chain after this one
  int bd = -1;                   // the BD being worked on
  BufferDescriptor current;
  AddressPattern pattern;
  std::vector<uint32_t> bd_uses;  // per BD: how many times this channel has used it (the iteration dimension)
  StreamRoute* route = nullptr;   // MM2S: where its words go; S2MM: where they come from
  size_t sink_index = 0;          // S2MM: its buffer in route->fifo
  // MM2S with a packet BD: the route its packet takes (a branch of `route`), and whether the
  // header word is still to be sent (it costs the channel one cycle; a master drops it).
  StreamRoute* packet_route = nullptr;
  bool header_pending = false;
  // The memory window the last word fell in (a tile's memory or a host buffer: byte addresses
  // [window_lo, window_hi) as this channel's BDs name them, at window_base), and the call it was
  // found in (host buffers change between calls); the next word looks there first.
  uint64_t window_lo = 0, window_hi = 0, window_call = 0;
  uint8_t* window_base = nullptr;

  // Counters for reports and syncs.
  uint64_t words = 0, bds_done = 0, tasks_done = 0, lock_wait_cycles = 0, stream_wait_cycles = 0;
  uint64_t tokens = 0;  // task-complete tokens issued and not yet consumed by a sync
  uint64_t busy_cycles = 0;

  std::string name() const;  // "tile (0,2) S2MM 0"
  bool busy() const { return state != ChannelState::Idle || !queue.empty(); }
};

// A circuit-switched stream from one source port to its destinations, resolved through the
// switches: the words a source pushed and each destination has not taken yet.
// The words in flight to one destination, first in first out (a ring that grows by doubling;
// the sources never push past the stream's buffer size, StreamRoute::can_push).
class WordFifo {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return static_cast<size_t>(tail_ - head_); }
  uint32_t front() const { return ring_[head_ & (ring_.size() - 1)]; }
  void pop_front() { ++head_; }
  void push_back(uint32_t w) {
    if (size() == ring_.size()) grow();
    ring_[tail_++ & (ring_.size() - 1)] = w;
  }
  // `n` words in order, as n push_back calls.
  void push_back(const uint32_t* w, size_t n) {
    while (size() + n > ring_.size()) grow();
    for (size_t done = 0; done < n;) {
      const size_t at = tail_ & (ring_.size() - 1), k = std::min(n - done, ring_.size() - at);
      std::memcpy(&ring_[at], w + done, 4 * k);
      done += k, tail_ += k;
    }
  }
  // The first `n` words (n <= size()) into `out`, removed, as n front/pop_front calls.
  void pop_front(uint32_t* out, size_t n) {
    for (size_t done = 0; done < n;) {
      const size_t at = head_ & (ring_.size() - 1), k = std::min(n - done, ring_.size() - at);
      std::memcpy(out + done, &ring_[at], 4 * k);
      done += k, head_ += k;
    }
  }

 private:
  void grow();
  std::vector<uint32_t> ring_ = std::vector<uint32_t>(16);
  uint64_t head_ = 0, tail_ = 0;
};

struct StreamRoute {
  std::string source;                    // "tile (0,0) MM2S 0 (shim DMA)"
  DmaChannel* source_channel = nullptr;  // the MM2S channel that pushes into it
  std::vector<std::string> hops;         // the ports it passes, for errors and reports
  std::vector<DmaChannel*> sinks;        // S2MM channels it reaches
  std::vector<WordFifo> fifo;            // one per sink
  // Packet switching: the stream reaches a packet-switched slave here, where each packet goes on by
  // its id (Array::packet_branch builds, once per id, the route the packet's payload takes).
  int packet_col = -1, packet_row = -1, packet_slave = -1;
  std::map<int, StreamRoute*> branches;  // by packet id
  bool branch = false;                   // this route is a packet's payload after its header was dropped
  // Cores' input stream ports it reaches (the switch's Core master): each core's words in flight
  // (Array::CorePorts::in).
  std::vector<WordFifo*> core_fifos;
  std::vector<std::string> core_names;  // "core (0,2)", by core_fifos, for the report
  bool to_core() const { return !core_fifos.empty(); }
  uint64_t words = 0;
  bool can_push(size_t capacity) const {
    for (const auto& f : fifo)
      if (f.size() >= capacity) return false;
    for (const WordFifo* f : core_fifos)
      if (f->size() >= capacity) return false;
    return true;
  }
  void push(uint32_t w) {
    for (auto& f : fifo) f.push_back(w);
    for (WordFifo* f : core_fifos) f->push_back(w);
    ++words;
  }
};

}  // namespace attncheck::aie2::array
