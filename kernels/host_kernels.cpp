// The `host` backend: feeds each revision's host-compiled device source exactly as the NPU design feeds the core.
#include "kernels/host_kernels.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>

#include "kernels/device_layout.hpp"
#include "kernels/host_compile.hpp"
#include "kernels/kernel_worker.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

// Runs every launch of the revision's LaunchPlan: pack the buffers the design's runtime sequence
// would move, call what the core calls, and place the output tile, exactly as the NPU runner does.
template <class CoreBody>
Int8Tensor run_launches(const Revision& rev, const AttentionInputs& in, const Params& params, CoreBody body) {
  const LaunchPlan plan(rev, in, params);
  Int8Tensor out(in.shape());
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<uint8_t> out_tile(plan.buffers().back().bytes);
  for (size_t i = 0; i < plan.launches(); ++i) {
    plan.pack(i, &inputs);
    body(plan, inputs, out_tile.data());
    plan.unpack(i, out_tile.data(), &out);
  }
  return out;
}

// head-tile entries take pointers and 32-bit scalars only (kernel.json's args, at most 8). Each is
// passed in a full integer register or stack slot, where the SysV x86-64 and AArch64 ABIs put a
// pointer or a 32-bit integer argument alike, and the callee reads only the low 32 bits of a scalar.
using Word = uintptr_t;
void call_entry(void* fn, const std::vector<Word>& a) {
  switch (a.size()) {
    case 1: reinterpret_cast<void (*)(Word)>(fn)(a[0]); return;
    case 2: reinterpret_cast<void (*)(Word, Word)>(fn)(a[0], a[1]); return;
    case 3: reinterpret_cast<void (*)(Word, Word, Word)>(fn)(a[0], a[1], a[2]); return;
    case 4: reinterpret_cast<void (*)(Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3]); return;
    case 5: reinterpret_cast<void (*)(Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4]); return;
    case 6: reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5]); return;
    case 7:
      reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
      return;
    case 8:
      reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5],
                                                                                     a[6], a[7]);
      return;
    default: throw InputError("--backend host: an entry with " + std::to_string(a.size()) + " arguments");
  }
}

Word scalar_word(const PackageArg& p, int64_t v) {
  return p.type == "int32" ? static_cast<Word>(static_cast<uint32_t>(static_cast<int32_t>(v))) : static_cast<Word>(static_cast<uint32_t>(v));
}

using Begin = void (*)(int32_t*, int32_t*, uint32_t*);
using MaxPass = void (*)(const int8_t*, const int8_t*, int32_t, int32_t*);
using AccPass = void (*)(const int8_t*, const int8_t*, int32_t, const int32_t*, int32_t*, uint32_t*);
using Finish = void (*)(const int8_t*, const int32_t*, const uint32_t*, int8_t*);

HostKernel make_host_kernel(const Revision& rev, const std::map<std::string, void*>& symbols, nlohmann::json build) {
  const std::shared_ptr<const KernelPackage> pkg = rev.package;
  HostKernel k;
  k.revision = rev.name;
  k.entries = pkg->entry_symbols();
  k.build = std::move(build);
  if (pkg->layout == PackageLayout::head_tile) {
    void* fn = symbols.at(pkg->entries.at(""));
    k.run = [rev, pkg, fn](const AttentionInputs& in, const Params& params) {
      // Outside the declared range the C is undefined (a shift by 32 or more): refuse, do not run.
      for (const PackageArg* p : pkg->params()) {
        const int64_t v = params.at(p->name);
        if (v < p->min || v > p->max)
          throw InputError("--backend host: " + p->name + " " + std::to_string(v) + " outside " + std::to_string(p->min) +
                           ".." + std::to_string(p->max));
      }
      return run_launches(rev, in, params, [&](const LaunchPlan&, const std::vector<std::vector<uint8_t>>& bufs, uint8_t* out) {
        std::vector<Word> words;
        size_t input = 0;
        for (const auto& a : pkg->args) {
          if (a.kind == PackageArg::input) words.push_back(reinterpret_cast<Word>(bufs[input++].data()));
          else if (a.kind == PackageArg::output) words.push_back(reinterpret_cast<Word>(out));
          else words.push_back(scalar_word(a, params.at(a.name)));
        }
        call_entry(fn, words);
      });
    };
    return k;
  }
  // q-tile-kv-stream: the core body of its design, one (head, Q tile) launch at a time.
  const auto begin = reinterpret_cast<Begin>(symbols.at(pkg->entries.at("begin")));
  const auto max_pass = reinterpret_cast<MaxPass>(symbols.at(pkg->entries.at("max_pass")));
  const auto acc_pass = reinterpret_cast<AccPass>(symbols.at(pkg->entries.at("acc_pass")));
  const auto finish = reinterpret_cast<Finish>(symbols.at(pkg->entries.at("finish")));
  k.run = [=](const AttentionInputs& in, const Params& params) {
    const int64_t S = in.shape().seq, T = pkg->tile_seq;
    const int64_t tiles = (S + T - 1) / T;
    const size_t tile_bytes = static_cast<size_t>(T * pkg->tile_dim);
    std::vector<int32_t> row_max(static_cast<size_t>(T)), acc(tile_bytes);
    std::vector<uint32_t> row_sum(static_cast<size_t>(T));
    return run_launches(rev, in, params, [&](const LaunchPlan&, const std::vector<std::vector<uint8_t>>& bufs, uint8_t* out) {
      const auto* q_rtp = reinterpret_cast<const int8_t*>(bufs[0].data());
      const auto* kv = reinterpret_cast<const int8_t*>(bufs[1].data());
      begin(row_max.data(), acc.data(), row_sum.data());
      for (int64_t t = 0; t < tiles; ++t)
        max_pass(q_rtp, kv + t * 2 * tile_bytes, static_cast<int32_t>(std::min(T, S - t * T)), row_max.data());
      for (int64_t t = 0; t < tiles; ++t)
        acc_pass(q_rtp, kv + t * 2 * tile_bytes, static_cast<int32_t>(std::min(T, S - t * T)), row_max.data(), acc.data(),
                 row_sum.data());
      finish(q_rtp, acc.data(), row_sum.data(), reinterpret_cast<int8_t*>(out));
    });
  };
  return k;
}

// A package's library runs in a worker process (kernels/kernel_worker.hpp): each run is a session over
// the launch plan's buffers, in shared memory with guard pages, and every launch one request.
HostKernel make_package_kernel(const Revision& rev, const std::string& library, const std::string& sources, nlohmann::json build) {
  const std::shared_ptr<const KernelPackage> pkg = rev.package;
  HostKernel k;
  k.revision = rev.name;
  k.entries = pkg->entry_symbols();
  k.build = std::move(build);
  k.run = [rev, pkg, library, sources](const AttentionInputs& in, const Params& params) {
    for (const PackageArg* p : pkg->params()) {
      const int64_t v = params.at(p->name);
      if (v < p->min || v > p->max)
        throw InputError("--backend host: " + p->name + " " + std::to_string(v) + " outside " + std::to_string(p->min) + ".." +
                         std::to_string(p->max));
    }
    const LaunchPlan plan(rev, in, params);
    // Buffers as messages name them: kernel.json's argument index, what it holds, its size.
    std::vector<size_t> arg_of;
    for (size_t i = 0; i < pkg->args.size(); ++i)
      if (pkg->args[i].kind == PackageArg::input) arg_of.push_back(i);
    for (size_t i = 0; i < pkg->args.size(); ++i)
      if (pkg->args[i].kind == PackageArg::output) arg_of.push_back(i);
    std::vector<WorkerBuffer> bufs;
    const auto& specs = plan.buffers();
    for (size_t b = 0; b < specs.size(); ++b) {
      const PackageArg& a = pkg->args.at(arg_of.at(b));
      std::string tensors;
      for (const auto& t : a.tensors) tensors += (tensors.empty() ? "" : ",") + t;
      bufs.push_back({"args[" + std::to_string(arg_of[b]) + "] (" + (a.kind == PackageArg::output ? "output" : "input " + tensors) +
                          ", " + std::to_string(specs[b].bytes) + " B)",
                      specs[b].bytes});
    }
    const size_t out_index = specs.size() - 1;
    std::vector<WorkerCall> calls;
    auto ptr = [](size_t buffer, uint64_t offset = 0) { return WorkerArg{true, static_cast<uint32_t>(buffer), offset}; };
    if (pkg->layout == PackageLayout::head_tile) {
      WorkerCall c;
      size_t input = 0;
      for (const auto& a : pkg->args) {
        if (a.kind == PackageArg::input) c.args.push_back(ptr(input++));
        else if (a.kind == PackageArg::output) c.args.push_back(ptr(out_index));
        else c.args.push_back(WorkerArg{false, 0, static_cast<uint64_t>(scalar_word(a, params.at(a.name)))});
      }
      calls.push_back(c);
    } else {
      // The core body of its design: begin, a max pass and an accumulate pass over the K|V pairs, finish.
      const int64_t S = in.shape().seq, T = pkg->tile_seq;
      const int64_t tiles = (S + T - 1) / T;
      const uint64_t tile_bytes = static_cast<uint64_t>(T * pkg->tile_dim);
      const size_t row_max = bufs.size(), acc = row_max + 1, row_sum = row_max + 2;
      bufs.push_back({"the row_max scratch (" + std::to_string(4 * T) + " B)", static_cast<size_t>(4 * T)});
      bufs.push_back({"the acc scratch (" + std::to_string(4 * tile_bytes) + " B)", static_cast<size_t>(4 * tile_bytes)});
      bufs.push_back({"the row_sum scratch (" + std::to_string(4 * T) + " B)", static_cast<size_t>(4 * T)});
      auto keys = [&](int64_t t) { return WorkerArg{false, 0, static_cast<uint64_t>(static_cast<uint32_t>(std::min(T, S - t * T)))}; };
      calls.push_back({0, {ptr(row_max), ptr(acc), ptr(row_sum)}});
      for (int64_t t = 0; t < tiles; ++t) calls.push_back({1, {ptr(0), ptr(1, t * 2 * tile_bytes), keys(t), ptr(row_max)}});
      for (int64_t t = 0; t < tiles; ++t)
        calls.push_back({2, {ptr(0), ptr(1, t * 2 * tile_bytes), keys(t), ptr(row_max), ptr(acc), ptr(row_sum)}});
      calls.push_back({3, {ptr(0), ptr(acc), ptr(row_sum), ptr(out_index)}});
    }
    WorkerSession session(pkg->name, library, pkg->entry_symbols(), sources, bufs);
    Int8Tensor out(in.shape());
    std::vector<std::vector<uint8_t>> inputs;
    for (size_t i = 0; i < plan.launches(); ++i) {
      plan.pack(i, &inputs);
      for (size_t b = 0; b < inputs.size(); ++b) std::memcpy(session.buffer(b), inputs[b].data(), inputs[b].size());
      int64_t head, first, rows;
      plan.rows_of(i, &head, &first, &rows);
      session.run(calls, "launch " + std::to_string(i + 1) + " of " + std::to_string(plan.launches()) + " (head " +
                             std::to_string(head) + ", rows " + std::to_string(first) + "-" + std::to_string(first + rows - 1) + ")");
      plan.unpack(i, session.buffer(out_index), &out);
    }
    return out;
  };
  return k;
}

nlohmann::json builtin_build(const Revision& rev) {
  std::vector<std::string> files;
  for (const auto& s : rev.package->sources) files.push_back(std::filesystem::path(s).filename().string());
  return {{"built_at", "build"}, {"compiler", host_compiler()}, {"flags", "-std=c99 -Wall -Wextra -Werror -ffreestanding"},
          {"sources", files}};
}

}  // namespace

const std::vector<HostKernel>& host_kernels() {
  static const std::vector<HostKernel> all = [] {
    std::vector<HostKernel> v;
    for (const auto& rev : revisions()) {
      std::map<std::string, void*> symbols;
      for (const auto& e : builtin_entries())
        if (rev.name == e.revision) symbols[e.symbol] = e.address;
      bool complete = true;
      for (const auto& s : rev.package->entry_symbols()) complete = complete && symbols.count(s);
      if (complete) v.push_back(make_host_kernel(rev, symbols, builtin_build(rev)));
    }
    return v;
  }();
  return all;
}

const HostKernel* find_host_kernel(const std::string& revision) {
  for (const auto& k : host_kernels())
    if (k.revision == revision) return &k;
  return nullptr;
}

AttentionFn host_kernel_for(const std::string& revision) {
  const HostKernel* k = find_host_kernel(revision);
  return k ? k->run : AttentionFn();
}

const HostKernel& host_kernel(const Revision& rev) {
  if (!rev.package) throw InputError("--kernel " + rev.name + ": no kernel package, so no source to compile");
  if (rev.package->builtin) {
    if (const HostKernel* k = find_host_kernel(rev.name)) return *k;
    throw InputError("--kernel " + rev.name + ": this build has no host build of it");
  }
  // compile_package finds an unchanged build in its cache by content (a preprocess per source), so
  // an edited source is rebuilt even in a process that lives on; one HostKernel per library and
  // package, and the deque keeps every reference handed out valid.
  static std::mutex mu;
  static std::deque<std::pair<std::pair<const KernelPackage*, std::string>, HostKernel>> compiled;
  std::lock_guard<std::mutex> lock(mu);
  const CompiledPackage c = compile_package(*rev.package);
  for (const auto& [key, k] : compiled)
    if (key.first == rev.package.get() && key.second == c.library) return k;
  nlohmann::json build = c.json();
  build["built_at"] = "run time";
  std::vector<std::string> files;
  for (const auto& s : rev.package->sources) files.push_back(s);
  build["sources"] = files;
  std::string names;
  for (const auto& src : rev.package->sources) names += (names.empty() ? "" : ", ") + std::filesystem::path(src).filename().string();
  // The entries are resolved (and the constructors run) in a worker, once per library.
  probe_library(rev.package->name, rev.package->path, c.library, rev.package->entry_symbols(), names);
  compiled.emplace_back(std::make_pair(rev.package.get(), c.library), make_package_kernel(rev, c.library, names, build));
  return compiled.back().second;
}

const KernelFacts* find_kernel_facts(const std::string& revision) {
  for (const auto& f : kernel_facts())
    if (f.revision == revision) return &f;
  return nullptr;
}

std::string host_compiler() { return ATTNCHECK_HOST_C_COMPILER; }

}  // namespace attncheck
